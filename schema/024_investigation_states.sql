-- 024: the investigations' statuses composed at read time, and the organizations' summaries counted when read.
--
-- Opening or closing an investigation set `status` in every exposure row through its (provider, incident) pair
-- and re-counted the summaries of the organizations holding them: ~2,000 rows and ~900 summaries rewritten for one
-- fact at a million events (p99 213–285 ms from append to visible), and a breach rewrote ~1,000 summaries besides
-- its rows. The read model now keeps each pair's status apart (one row per pair not `potential`), stores exposure
-- rows without `status` (with their provider, whether their incident is resolved and what a summary counts, as
-- columns to compose from),
-- and keeps only the registry part of each organization's view (name, sector, active deployments, providers,
-- vendors, open-weight share); every read composes the status and counts the summary from the current rows
-- (`ReadModelRow` in CustodyStore), so an answer is the same document as before.
CREATE TABLE custody_investigation_states (
    incident  text NOT NULL,
    provider  text NOT NULL,
    status    text NOT NULL,
    PRIMARY KEY (incident, provider)
);
GRANT SELECT ON custody_investigation_states TO custody_reader, custody_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON custody_investigation_states TO custody_projector, custody_app;

-- The read models are derived: emptied here (their documents change form) and refolded from the log by the next
-- projector run (`custody serve` or `custody projections run`), or at once by `custody projections rebuild`.
DELETE FROM custody_exposures;
DELETE FROM custody_organization_views;
DELETE FROM custody_deployments;
DELETE FROM custody_pauses;
DELETE FROM custody_projection_checkpoints;

-- `is_current` depended on the status; what is current is now `NOT resolved` and a status other than `cleared`.
-- What a summary counts of a row is in columns of its own (its incident's severity, when it began in microseconds
-- since 1970, whether it has a response), so that PostgreSQL aggregates them for `GET /v1/organizations` without
-- taking the documents apart.
ALTER TABLE custody_exposures DROP COLUMN is_current,
    ADD COLUMN provider text NOT NULL,
    ADD COLUMN resolved boolean NOT NULL,
    ADD COLUMN severity text NOT NULL,
    ADD COLUMN since bigint NOT NULL,
    ADD COLUMN answered boolean NOT NULL;

-- The read models in one list, which the rebuild's two functions below read: a read model added later replaces this
-- function only (021 and earlier had to redefine both).
CREATE OR REPLACE FUNCTION custody_read_models() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['custody_exposures', 'custody_organization_views', 'custody_deployments', 'custody_pauses',
        'custody_investigation_states']
$$;

CREATE OR REPLACE FUNCTION custody_prepare_read_model_rebuild() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    model text;
BEGIN
    FOREACH model IN ARRAY custody_read_models() LOOP
        EXECUTE format('DROP TABLE IF EXISTS %I', model || '_rebuild');
        EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING ALL)', model || '_rebuild', model);
    END LOOP;
    -- LIKE copies no storage parameters: room on each page for the projector's in-place updates (schema/006).
    ALTER TABLE custody_exposures_rebuild SET (fillfactor = 70);
END $$;
REVOKE ALL ON FUNCTION custody_prepare_read_model_rebuild() FROM PUBLIC;

-- Fresh tables have no statistics: until autovacuum came by, the planner guessed (the summaries' aggregate of
-- 160,000 rows sorted them on disk instead of hashing them, 560 ms against 130). The rebuild analyzes its tables
-- before swapping them in.
CREATE OR REPLACE FUNCTION custody_analyze_read_model_rebuild() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    model text;
BEGIN
    FOREACH model IN ARRAY custody_read_models() LOOP
        EXECUTE format('ANALYZE %I', model || '_rebuild');
    END LOOP;
END $$;
REVOKE ALL ON FUNCTION custody_analyze_read_model_rebuild() FROM PUBLIC;

CREATE OR REPLACE FUNCTION custody_swap_read_models() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    swapped text;
    index record;
BEGIN
    FOREACH swapped IN ARRAY custody_read_models() LOOP
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
END $$;
REVOKE ALL ON FUNCTION custody_swap_read_models() FROM PUBLIC;
