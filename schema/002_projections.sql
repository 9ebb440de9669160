-- 002: read models folded from the log by the projector (`custody projections run`).
--
-- Each table is derived: `custody projections rebuild` recreates it from the log at any time. The checkpoint
-- is written in the same transaction as the rows it covers, so a crashed projector never applies an event twice
-- or skips one.

CREATE TABLE custody_projection_checkpoints (
    projection      text PRIMARY KEY,
    transaction_id  bigint NOT NULL,
    position        bigint NOT NULL,
    events          bigint NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- One row per (deployment, incident), current or not (cleared, resolved); `document` is the exposure row as the
-- CLI and the API print it.
CREATE TABLE custody_exposures (
    deployment    text NOT NULL,
    incident      text NOT NULL,
    organization  text NOT NULL,
    model         text NOT NULL,
    is_current    boolean NOT NULL,
    document      jsonb NOT NULL,
    PRIMARY KEY (deployment, incident)
);
CREATE INDEX custody_exposures_organization ON custody_exposures (organization);
CREATE INDEX custody_exposures_model ON custody_exposures (model);
CREATE INDEX custody_exposures_incident ON custody_exposures (incident);

-- Per organization: its name, sector and summary (counts per status, providers, vendors, concentration).
CREATE TABLE custody_organization_views (
    organization  text PRIMARY KEY,
    document      jsonb NOT NULL
);

GRANT SELECT, INSERT, UPDATE, DELETE ON custody_projection_checkpoints, custody_exposures, custody_organization_views
    TO custody_app;
