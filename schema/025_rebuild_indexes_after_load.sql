-- 025: the rebuild loads its shadow tables without indexes, then builds them.
--
-- A rebuild's COPY into tables that already had their indexes maintained each index row by row: at ~120,000
-- exposure rows, 1.3-1.4 s against 0.3 s for the rows alone and 0.4 s for the four indexes built afterwards (a
-- sort each). The shadow tables are created without indexes, and custody_index_read_model_rebuild() gives each
-- the live table's indexes once it is loaded: the primary key as the live one's constraint, every other index as
-- the live one's definition on the shadow table. The swap (024) names them after the live ones as before.
CREATE OR REPLACE FUNCTION custody_prepare_read_model_rebuild() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    model text;
BEGIN
    FOREACH model IN ARRAY custody_read_models() LOOP
        EXECUTE format('DROP TABLE IF EXISTS %I', model || '_rebuild');
        EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING ALL EXCLUDING INDEXES)', model || '_rebuild', model);
    END LOOP;
    -- LIKE copies no storage parameters: room on each page for the projector's in-place updates (schema/006).
    ALTER TABLE custody_exposures_rebuild SET (fillfactor = 70);
END $$;
REVOKE ALL ON FUNCTION custody_prepare_read_model_rebuild() FROM PUBLIC;

CREATE FUNCTION custody_index_read_model_rebuild() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    model text;
    index record;
BEGIN
    FOREACH model IN ARRAY custody_read_models() LOOP
        FOR index IN
            SELECT i.indexrelid, i.indisprimary AS is_primary, c.oid AS primary_key
            FROM pg_index i
            LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.contype = 'p'
            WHERE i.indrelid = model::regclass
        LOOP
            IF index.is_primary THEN
                EXECUTE format('ALTER TABLE %I ADD %s', model || '_rebuild', pg_get_constraintdef(index.primary_key));
            ELSE
                -- "CREATE [UNIQUE] INDEX name ON public.model USING ...": the same, unnamed, on the shadow table.
                EXECUTE regexp_replace(pg_get_indexdef(index.indexrelid), '^(CREATE (UNIQUE )?INDEX) \S+ ON \S+ ',
                    format('\1 ON %I ', model || '_rebuild'));
            END IF;
        END LOOP;
    END LOOP;
END $$;
REVOKE ALL ON FUNCTION custody_index_read_model_rebuild() FROM PUBLIC;
