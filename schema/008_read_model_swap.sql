-- 008: the rebuild's swap, as one function a DBA can read.
--
-- `custody projections rebuild` fills custody_exposures_rebuild and custody_organization_views_rebuild (created
-- LIKE the live tables, INCLUDING ALL), then calls this in the transaction that moves the checkpoint, holding the
-- projector's lock: readers see the old tables or the new ones, never a mix. `LIKE … INCLUDING ALL` names the
-- copied indexes after the shadow table; they get the live tables' names back here, so that rebuild after rebuild
-- the indexes keep the names schema/002 gave them.
CREATE FUNCTION custody_swap_read_models() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    swapped text;
    index record;
BEGIN
    DROP TABLE custody_exposures;
    DROP TABLE custody_organization_views;
    ALTER TABLE custody_exposures_rebuild RENAME TO custody_exposures;
    ALTER TABLE custody_organization_views_rebuild RENAME TO custody_organization_views;
    FOREACH swapped IN ARRAY ARRAY['custody_exposures', 'custody_organization_views'] LOOP
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
    END LOOP;
    GRANT SELECT, INSERT, UPDATE, DELETE ON custody_exposures, custody_organization_views TO custody_app;
END;
$$;
