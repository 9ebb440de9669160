-- 011: a role per process, and a log nobody but its owner can write except through custody_append.
--
-- The role that runs `custody migrate` owns everything (and runs imports, rebuilds and token changes). Each other
-- process logs in with the least it needs (README, "Roles"):
--   custody_reader     SELECT on the log, the read models, snapshots and tokens; INSERT into the access log.
--                      `serve --no-projector`, `exposure`, `postmortem`, `events`, `verify` and the other questions.
--   custody_writer     SELECT on the log and snapshots, EXECUTE custody_append. The recording commands.
--   custody_projector  the writer's rights plus the read models, the checkpoint and the fold snapshots.
--                      `projections run`.
--   custody_app        reader and projector together: `serve` (it answers, and leads the projector).
-- custody_append runs as its owner (SECURITY DEFINER, with a fixed search_path), so nobody else needs INSERT on
-- custody_events or any right on custody_streams: a forged event with a self-computed hash cannot be written.
-- Privileges are granted to each role directly, not through role membership: roles are cluster-wide, and two
-- databases migrating at once would race on pg_auth_members.
DO $$
DECLARE
    name text;
BEGIN
    FOREACH name IN ARRAY ARRAY['custody_reader', 'custody_writer', 'custody_projector'] LOOP
        BEGIN
            EXECUTE format('CREATE ROLE %I LOGIN', name);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END LOOP;
END $$;

REVOKE INSERT ON custody_events FROM custody_app;
REVOKE INSERT, UPDATE ON custody_streams FROM custody_app;
REVOKE ALL ON FUNCTION custody_append(text[], bigint[], uuid[], text[], text[], integer[], text[], text[], bigint[], text[], bigint[])
    FROM PUBLIC;
ALTER FUNCTION custody_append(text[], bigint[], uuid[], text[], text[], integer[], text[], text[], bigint[], text[], bigint[])
    SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE ALL ON FUNCTION custody_swap_read_models() FROM PUBLIC;

GRANT SELECT ON custody_events, custody_streams, custody_migrations, custody_projection_checkpoints, custody_exposures,
    custody_organization_views, custody_deployments, custody_fold_snapshots, custody_tokens
    TO custody_reader, custody_app;
GRANT INSERT ON custody_access_log TO custody_reader, custody_app;

GRANT SELECT ON custody_events, custody_streams, custody_migrations, custody_projection_checkpoints, custody_fold_snapshots
    TO custody_writer, custody_projector;
GRANT EXECUTE ON FUNCTION custody_append(text[], bigint[], uuid[], text[], text[], integer[], text[], text[], bigint[], text[], bigint[])
    TO custody_writer, custody_projector, custody_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON custody_projection_checkpoints, custody_exposures, custody_organization_views,
    custody_deployments TO custody_projector, custody_app;
GRANT SELECT, INSERT, DELETE ON custody_fold_snapshots TO custody_projector, custody_app;
GRANT USAGE ON SEQUENCE custody_fold_snapshots_id_seq TO custody_projector, custody_app;

-- The rebuild's swap (schema/008) moves the three read models together (custody_deployments is schema/009's) and
-- gives the new tables the grants of the old ones, for every role.
CREATE OR REPLACE FUNCTION custody_swap_read_models() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    swapped text;
    index record;
BEGIN
    FOREACH swapped IN ARRAY ARRAY['custody_exposures', 'custody_organization_views', 'custody_deployments'] LOOP
        EXECUTE format('DROP TABLE %I', swapped);
        EXECUTE format('ALTER TABLE %I RENAME TO %I', swapped || '_rebuild', swapped);
        FOR index IN
            SELECT c.relname AS name, a.attname AS first_column, i.indisprimary AS is_primary
            FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
            WHERE i.indrelid = swapped::regclass
        LOOP
            EXECUTE format('ALTER INDEX %I RENAME TO %I', index.name,
                CASE WHEN index.is_primary THEN swapped || '_pkey' ELSE swapped || '_' || index.first_column END);
        END LOOP;
        EXECUTE format('GRANT SELECT ON %I TO custody_reader', swapped);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO custody_projector, custody_app', swapped);
    END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION custody_swap_read_models() FROM PUBLIC;
