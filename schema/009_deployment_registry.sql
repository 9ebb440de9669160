-- 009: the deployments of the registry as a read model, so `custody deployments [--org O]` answers from one
-- indexed read instead of loading the fold (370 ms at a million events, against ~40 ms for the SELECT).
--
-- One row per deployment ever registered; `document` is its entry as `custody deployments --json` prints it
-- (retired ones stay, marked inactive). The projector writes it in the same transaction as the exposure rows.
-- The read models are derived, so they are emptied here and refolded from the log by the next projector run
-- (`custody serve` or `custody projections run`), or at once by `custody projections rebuild`.

CREATE TABLE custody_deployments (
    deployment    text PRIMARY KEY,
    organization  text NOT NULL,
    document      jsonb NOT NULL
);
CREATE INDEX custody_deployments_organization ON custody_deployments (organization);

GRANT SELECT, INSERT, UPDATE, DELETE ON custody_deployments TO custody_app;

DELETE FROM custody_exposures;
DELETE FROM custody_organization_views;
DELETE FROM custody_projection_checkpoints;

-- The rebuild's swap moves this table with the other two from schema/011 on (which also grants it to each role).
