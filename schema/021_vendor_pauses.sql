-- 021: pauses composed at read time.
--
-- A provider pausing (or resuming) its work with a vendor flipped `paused` in every exposure row through that pair:
-- 2,000–7,600 rows rewritten and WAL-logged for one fact at a million events (p99 266 ms from append to visible).
-- The read model now keeps the pairs paused at the time it was evaluated at, one row each, and stores exposure rows
-- without `paused`; every read composes the flag from this table (`ReadModelRow.composedDocument` in
-- CustodyStore), so an answer is the same document as before.
CREATE TABLE custody_pauses (
    provider  text NOT NULL,
    vendor    text NOT NULL,
    PRIMARY KEY (provider, vendor)
);
GRANT SELECT ON custody_pauses TO custody_reader, custody_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON custody_pauses TO custody_projector, custody_app;

-- The rebuild fills a shadow of it too, and the swap moves it with the other read models.
CREATE OR REPLACE FUNCTION custody_prepare_read_model_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DROP TABLE IF EXISTS custody_exposures_rebuild, custody_organization_views_rebuild, custody_deployments_rebuild,
        custody_pauses_rebuild;
    CREATE TABLE custody_exposures_rebuild (LIKE custody_exposures INCLUDING ALL);
    -- LIKE copies no storage parameters: room on each page for the projector's in-place updates (schema/006).
    ALTER TABLE custody_exposures_rebuild SET (fillfactor = 70);
    CREATE TABLE custody_organization_views_rebuild (LIKE custody_organization_views INCLUDING ALL);
    CREATE TABLE custody_deployments_rebuild (LIKE custody_deployments INCLUDING ALL);
    CREATE TABLE custody_pauses_rebuild (LIKE custody_pauses INCLUDING ALL);
END $$;
REVOKE ALL ON FUNCTION custody_prepare_read_model_rebuild() FROM PUBLIC;

CREATE OR REPLACE FUNCTION custody_swap_read_models() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    swapped text;
    index record;
BEGIN
    FOREACH swapped IN ARRAY ARRAY['custody_exposures', 'custody_organization_views', 'custody_deployments', 'custody_pauses']
    LOOP
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

-- Stored rows still carry the flag the old way: the read models are derived, so they are emptied here and refolded
-- from the log by the next projector run (`custody serve` or `custody projections run`), or at once by `custody
-- projections rebuild`, as schema/009 did.
DELETE FROM custody_exposures;
DELETE FROM custody_organization_views;
DELETE FROM custody_deployments;
DELETE FROM custody_projection_checkpoints;
