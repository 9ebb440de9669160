-- 012: the log accepts only what every reader can read.
--
-- An event of an unknown type, of a schema version no reader knows, or whose data or metadata is not a JSON
-- object, would make every later `events`, `exposure` and projector run fail for good while `verify` said intact.
-- A CHECK constraint refuses it on every path that writes the log (custody_append, an import's COPY), at the
-- cost of a CASE over literals per row. It is added NOT VALID, so a log that already holds such a row still
-- migrates; `custody verify` names those rows.
--
-- custody_known_event lists the catalog of CustodyCore (DomainEvent.catalog) with each type's newest schema
-- version; a test holds the two equal. A new event type or version is a new migration that replaces it.
CREATE FUNCTION custody_known_event(type text, schema_version integer) RETURNS boolean
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
        ELSE 0
    END;

ALTER TABLE custody_events ADD CONSTRAINT custody_events_readable
    CHECK (custody_known_event(type, schema_version) AND jsonb_typeof(data) = 'object' AND jsonb_typeof(metadata) = 'object')
    NOT VALID;
