-- 013: a stream's head (version, last hash, record time) is read from the log itself, not from a second table.
--
-- custody_streams repeated what the unique index on custody_events (stream_id, stream_version) already answers
-- with one lookup: the last event of a stream. Keeping it cost every append an upsert (a heap and an index write
-- and their WAL), and it was one more thing a forger or an unlucky operator could make disagree with the log.
-- Measured with pgbench, fsync on, 2 clients, one event per append, 70,000 events before and 20 s per run, in
-- two databases migrated alike: 1,812–1,933 appends/s with the table, 1,989–2,070 without (+8%).
--
-- Stream locks were already advisory (schema/010), so the table's rows locked nothing. What a deleted tail of a
-- stream now leaves is found by a seal (`custody seal` / `verify --seal`), as any other deletion: triggers refuse
-- deletes to everyone, and an owner able to disable them could have rewritten the head as well.
-- CREATE OR REPLACE keeps the grants of schema/011; SECURITY DEFINER and the search_path are restated, as
-- PostgreSQL resets every property a replacement does not name.
CREATE OR REPLACE FUNCTION custody_append(
    p_streams text[], p_expected bigint[],
    p_event_ids uuid[], p_event_streams text[], p_types text[], p_schema_versions integer[],
    p_data text[], p_metadata text[], p_occurred_at bigint[],
    p_read_streams text[] DEFAULT '{}', p_read_versions bigint[] DEFAULT '{}'
) RETURNS TABLE (
    event_id uuid, stream_id text, stream_version bigint, "position" bigint, recorded_at bigint, hash bytea,
    duplicate boolean
) LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
        SELECT coalesce(max(e.stream_version), 0) INTO current_version FROM custody_events e WHERE e.stream_id = p_read_streams[i];
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
        SELECT e.stream_version, e.hash, e.recorded_at INTO current_version, current_hash, head_recorded
        FROM custody_events e WHERE e.stream_id = p_streams[i] ORDER BY e.stream_version DESC LIMIT 1;
        current_version := coalesce(current_version, 0);
        IF p_expected[i] >= 0 AND p_expected[i] <> current_version THEN
            RAISE EXCEPTION 'stream % is at version %, not the expected %', p_streams[i], current_version, p_expected[i]
                USING ERRCODE = 'CU001', DETAIL = jsonb_build_object(
                    'stream', p_streams[i], 'expected', p_expected[i], 'actual', current_version)::text;
        END IF;
        IF current_version > 0 THEN
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

END $$;

DROP TABLE custody_streams;
