-- 016: webhook subscriptions' signing secrets, kept out of the log (issue 17).
--
-- A subscription is a fact in the log (WebhookSubscribed, WebhookRemoved); its secret is not: an export or a
-- restore must not carry it, and only the process that delivers (`serve`, as custody_app) reads it. The recording
-- commands (custody_writer) insert it with the subscription's fact, in one transaction, and rotate it through a
-- function; neither may read it back.
CREATE TABLE custody_webhook_secrets (
    subscription    text PRIMARY KEY,
    secret          text NOT NULL,
    -- The secret before the last rotation: it keeps signing, as a second signature, until previous_until.
    previous_secret text,
    previous_until  timestamptz,
    rotated_at      timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON custody_webhook_secrets FROM PUBLIC;
GRANT INSERT ON custody_webhook_secrets TO custody_writer;
GRANT SELECT ON custody_webhook_secrets TO custody_app;

-- A new secret for a subscription; the current one keeps signing for `overlap`. With none stored (a subscription
-- restored from an export, which carries no secrets), the new one is simply stored.
CREATE FUNCTION custody_rotate_webhook_secret(id text, new_secret text, overlap interval) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
    BEGIN ATOMIC
        INSERT INTO custody_webhook_secrets AS stored (subscription, secret) VALUES (id, new_secret)
        ON CONFLICT (subscription) DO UPDATE
            SET previous_secret = stored.secret, previous_until = now() + overlap, secret = excluded.secret, rotated_at = now();
    END;
REVOKE ALL ON FUNCTION custody_rotate_webhook_secret(text, text, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION custody_rotate_webhook_secret(text, text, interval) TO custody_writer;

-- The catalog gains the two subscription facts (DomainEvent.catalog; a test holds the two equal).
CREATE OR REPLACE FUNCTION custody_known_event(type text, schema_version integer) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN schema_version >= 1 AND schema_version <= CASE type
        WHEN 'VendorRegistered' THEN 1
        WHEN 'ProviderRegistered' THEN 1
        WHEN 'ModelRegistered' THEN 1
        WHEN 'SupplyLinkRecorded' THEN 1
        WHEN 'SupplyLinkEnded' THEN 1
        WHEN 'OrganizationRegistered' THEN 1
        WHEN 'ModelDeployed' THEN 1
        WHEN 'DeploymentRetired' THEN 1
        WHEN 'BreachReported' THEN 1
        WHEN 'BreachScopeRevised' THEN 1
        WHEN 'VendorPaused' THEN 1
        WHEN 'VendorResumed' THEN 1
        WHEN 'InvestigationOpened' THEN 1
        WHEN 'InvestigationFindingRecorded' THEN 1
        WHEN 'InvestigationClosed' THEN 1
        WHEN 'IncidentResolved' THEN 1
        WHEN 'IncidentRetracted' THEN 1
        WHEN 'ExposureResponseRecorded' THEN 1
        WHEN 'DeploymentSwitched' THEN 1
        WHEN 'DeploymentUpdated' THEN 1
        WHEN 'SupplyLinkRetracted' THEN 1
        WHEN 'WebhookSubscribed' THEN 1
        WHEN 'WebhookRemoved' THEN 1
        ELSE 0
    END;
