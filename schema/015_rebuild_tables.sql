-- 015: the rebuild's shadow tables are made by a function of the schema, beside the swap that moves them into
-- place (schema/011), instead of by DDL written in Swift. Like the swap, it is the owner's work: `custody
-- projections rebuild` runs as the role that ran `custody migrate`.
CREATE FUNCTION custody_prepare_read_model_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DROP TABLE IF EXISTS custody_exposures_rebuild, custody_organization_views_rebuild, custody_deployments_rebuild;
    CREATE TABLE custody_exposures_rebuild (LIKE custody_exposures INCLUDING ALL);
    -- LIKE copies no storage parameters: room on each page for the projector's in-place updates (schema/006).
    ALTER TABLE custody_exposures_rebuild SET (fillfactor = 70);
    CREATE TABLE custody_organization_views_rebuild (LIKE custody_organization_views INCLUDING ALL);
    CREATE TABLE custody_deployments_rebuild (LIKE custody_deployments INCLUDING ALL);
END $$;
REVOKE ALL ON FUNCTION custody_prepare_read_model_rebuild() FROM PUBLIC;
