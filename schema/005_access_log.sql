-- 005: who read what through the HTTP API, so an organization can be told who read its exposure.
--
-- The server appends a row per /v1 request (refused ones included) in small batches; it never updates or
-- deletes them. `subject` is the organization a request was about when its path names one.

CREATE TABLE custody_access_log (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            timestamptz NOT NULL,
    token_id      text,
    scope         text NOT NULL,
    subject       text,
    route         text NOT NULL,
    path          text NOT NULL,
    status        integer NOT NULL,
    request_id    text NOT NULL
);
CREATE INDEX custody_access_log_scope ON custody_access_log (scope, at);
CREATE INDEX custody_access_log_subject ON custody_access_log (subject, at);

GRANT SELECT, INSERT ON custody_access_log TO custody_app;
