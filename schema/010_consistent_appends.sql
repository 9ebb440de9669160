-- 010: appends that cannot be decided on a stale state, and record times that never go back along a stream.
--
-- custody_append gains two arguments: the streams a writer read to decide (an investigation's incident, a
-- deployment's organization and model, …) and the versions it read them at. Each is locked shared (writers to it
-- wait, readers and other writers that only read it do not) in one ascending key order with the written streams,
-- which are locked exclusively, and is refused with CU005 when it moved on since it was read: a retraction cannot
-- land between the check of an investigation and its append. `custody` re-reads and checks again.
--
-- recorded_at is taken after the locks (clock_timestamp(), not the transaction's start), and never earlier than
-- the head of any stream written: it never decreases along a stream, whatever transaction began first. A caller
-- whose transaction already appended gets CU006; CU004 stays for a log copied into another cluster.
--
-- Errors, all with a JSON DETAIL: CU001 wrong expected version of a written stream (stream, expected, actual);
-- CU002 an event id stored with different content (eventId); CU004 restored into a new cluster; CU005 a read
-- stream moved on (stream, expected, actual); CU006 this transaction already appended.
DROP FUNCTION custody_append(text[], bigint[], uuid[], text[], text[], integer[], text[], text[], bigint[]);

CREATE FUNCTION custody_append(
    p_streams text[], p_expected bigint[],
    p_event_ids uuid[], p_event_streams text[], p_types text[], p_schema_versions integer[],
    p_data text[], p_metadata text[], p_occurred_at bigint[],
    p_read_streams text[] DEFAULT '{}', p_read_versions bigint[] DEFAULT '{}'
) RETURNS TABLE (
    event_id uuid, stream_id text, stream_version bigint, "position" bigint, recorded_at bigint, hash bytea,
    duplicate boolean
) LANGUAGE plpgsql AS $$
DECLARE
    n integer := coalesce(array_length(p_event_ids, 1), 0);
    held record;
    stored integer;
    mismatched uuid;
    i integer;
    current_version bigint;
    current_hash bytea;
    head_recorded timestamptz;
    versions jsonb := '{}';
    hashes jsonb := '{}';
    new_version bigint;
    new_hash bytea;
    ts timestamptz;
    newest_xid xid8;
BEGIN
    PERFORM pg_advisory_xact_lock_shared(custody_global_lock_key());
    -- Written streams exclusively, read ones shared, all in one ascending key order (no deadlock between two
    -- writers that each read what the other writes).
    FOR held IN
        SELECT custody_stream_lock_key(s) AS k, bool_or(written) AS exclusive
        FROM (SELECT unnest(p_streams), true UNION ALL SELECT unnest(p_read_streams), false) AS x(s, written)
        GROUP BY 1 ORDER BY 1
    LOOP
        IF held.exclusive THEN
            PERFORM pg_advisory_xact_lock(held.k);
        ELSE
            PERFORM pg_advisory_xact_lock_shared(held.k);
        END IF;
    END LOOP;

    -- Idempotency comes before the version checks: a retried append whose first try committed must succeed.
    SELECT count(*) INTO stored FROM custody_events e WHERE e.event_id = ANY (p_event_ids);
    IF stored > 0 THEN
        SELECT x.id INTO mismatched
        FROM unnest(p_event_ids, p_event_streams, p_types, p_schema_versions, p_data, p_metadata, p_occurred_at)
            AS x(id, stream, type, schema_version, data, metadata, occurred)
        LEFT JOIN custody_events e ON e.event_id = x.id
        WHERE e.event_id IS NULL OR e.stream_id <> x.stream OR e.type <> x.type
           OR e.schema_version <> x.schema_version OR e.data <> x.data::jsonb
           OR custody_micros(e.occurred_at) <> x.occurred
        LIMIT 1;
        IF mismatched IS NOT NULL THEN
            RAISE EXCEPTION 'event % is already stored with different content, or this batch differs from the stored one', mismatched
                USING ERRCODE = 'CU002', DETAIL = jsonb_build_object('eventId', mismatched)::text;
        END IF;
        RETURN QUERY
            SELECT e.event_id, e.stream_id, e.stream_version, e.position, custody_micros(e.recorded_at), e.hash, true
            FROM unnest(p_event_ids) WITH ORDINALITY AS x(id, ord)
            JOIN custody_events e ON e.event_id = x.id
            ORDER BY x.ord;
        RETURN;
    END IF;

    FOR i IN 1 .. coalesce(array_length(p_read_streams, 1), 0) LOOP
        SELECT coalesce(max(s.version), 0) INTO current_version FROM custody_streams s WHERE s.stream_id = p_read_streams[i];
        IF current_version <> p_read_versions[i] THEN
            RAISE EXCEPTION 'stream % moved on to version % since it was read at version %', p_read_streams[i],
                current_version, p_read_versions[i]
                USING ERRCODE = 'CU005', DETAIL = jsonb_build_object(
                    'stream', p_read_streams[i], 'expected', p_read_versions[i], 'actual', current_version)::text;
        END IF;
    END LOOP;

    ts := clock_timestamp();
    FOR i IN 1 .. coalesce(array_length(p_streams, 1), 0) LOOP
        current_version := NULL;
        current_hash := NULL;
        SELECT s.version, s.last_hash INTO current_version, current_hash
        FROM custody_streams s WHERE s.stream_id = p_streams[i];
        current_version := coalesce(current_version, 0);
        IF p_expected[i] >= 0 AND p_expected[i] <> current_version THEN
            RAISE EXCEPTION 'stream % is at version %, not the expected %', p_streams[i], current_version, p_expected[i]
                USING ERRCODE = 'CU001', DETAIL = jsonb_build_object(
                    'stream', p_streams[i], 'expected', p_expected[i], 'actual', current_version)::text;
        END IF;
        IF current_version > 0 THEN
            SELECT e.recorded_at INTO head_recorded FROM custody_events e
            WHERE e.stream_id = p_streams[i] AND e.stream_version = current_version;
            ts := greatest(ts, head_recorded);
        END IF;
        versions := versions || jsonb_build_object(p_streams[i], current_version);
        hashes := hashes || jsonb_build_object(p_streams[i], encode(coalesce(current_hash, ''::bytea), 'hex'));
    END LOOP;

    SELECT e.xid INTO newest_xid FROM custody_events e ORDER BY e.xid DESC LIMIT 1;
    IF newest_xid IS NOT NULL AND newest_xid = pg_current_xact_id() THEN
        RAISE EXCEPTION 'this transaction has already appended to the log; append every event of a transaction in one call'
            USING ERRCODE = 'CU006', DETAIL = '{}';
    ELSIF newest_xid IS NOT NULL AND newest_xid > pg_current_xact_id() THEN
        RAISE EXCEPTION 'the log holds transaction ids newer than this cluster''s (it was restored into a new cluster)'
            USING ERRCODE = 'CU004',
                  HINT = 'Export with `custody events --json` and import into an empty database instead of copying tables.';
    END IF;

    FOR i IN 1 .. n LOOP
        new_version := (versions ->> p_event_streams[i])::bigint + 1;
        new_hash := custody_event_hash(
            decode(hashes ->> p_event_streams[i], 'hex'), p_event_ids[i], p_event_streams[i], new_version, p_types[i],
            p_schema_versions[i], p_data[i]::jsonb, p_metadata[i]::jsonb, custody_from_micros(p_occurred_at[i]), ts);
        INSERT INTO custody_events AS e (event_id, stream_id, stream_version, type, schema_version, data, metadata,
                                         occurred_at, recorded_at, hash)
        VALUES (p_event_ids[i], p_event_streams[i], new_version, p_types[i], p_schema_versions[i], p_data[i]::jsonb,
                p_metadata[i]::jsonb, custody_from_micros(p_occurred_at[i]), ts, new_hash)
        RETURNING e.event_id, e.stream_id, e.stream_version, e.position, custody_micros(e.recorded_at), e.hash, false
        INTO event_id, stream_id, stream_version, "position", recorded_at, hash, duplicate;
        RETURN NEXT;
        versions := versions || jsonb_build_object(p_event_streams[i], new_version);
        hashes := hashes || jsonb_build_object(p_event_streams[i], encode(new_hash, 'hex'));
    END LOOP;

    INSERT INTO custody_streams AS s (stream_id, version, last_hash)
    SELECT k, (versions ->> k)::bigint, decode(hashes ->> k, 'hex')
    FROM unnest(p_streams) k
    WHERE (versions ->> k)::bigint > 0
    ON CONFLICT ON CONSTRAINT custody_streams_pkey
        DO UPDATE SET version = excluded.version, last_hash = excluded.last_hash;
END $$;
