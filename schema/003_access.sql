-- 003: bearer tokens of the HTTP API (`custody token create|revoke|list`).
--
-- Only SHA-256 of a token is stored; the token itself is printed once, when created. A token is either admin
-- (everything, including the global event feed) or scoped to one organization. Revocation stamps the row
-- rather than deleting it, so an audit can still say which token read what.

CREATE TABLE custody_tokens (
    id            text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{16}$'),
    secret_hash   bytea NOT NULL CHECK (length(secret_hash) = 32),
    organization  text,
    admin         boolean NOT NULL,
    label         text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz,
    revoked_at    timestamptz,
    CHECK (admin = (organization IS NULL))
);

-- The API only reads tokens; creating and revoking them is the operator's (the migrating role's) business.
GRANT SELECT ON custody_tokens TO custody_app;
