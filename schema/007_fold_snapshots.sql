-- 007: fold snapshots, so that a command folds the facts it needs without reading the whole log.
--
-- Derived data, like the read models: the leading projector writes one every so many events or minutes and after
-- a rebuild, keeps the newest few, and any process may ignore them (a snapshot of an unknown format or whose
-- checksum does not match its body is never trusted; the log is read instead).
--
-- A snapshot covers every event of the log at or before its cursor (transaction_id, position), in the order a
-- reader of the whole log meets them. Its body, format 1, is JSON Lines: one line per event the exposure fold uses
-- (findings are left out: postmortems read them from their investigation's stream), exactly the line
-- `custody events --json` prints for it (id, stream, version, position, type, schemaVersion, data, metadata,
-- occurredAt, recordedAt, hash), in log position order. Keeping each event whole (its recordedAt included) lets
-- one snapshot serve `--known-at` too: lines recorded after the asked time are skipped.
CREATE TABLE custody_fold_snapshots (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    format           integer NOT NULL,
    transaction_id   bigint NOT NULL,
    position         bigint NOT NULL,
    -- How many events of the log the snapshot covers, how many lines its body holds, and the latest recorded_at
    -- among them.
    events           bigint NOT NULL,
    lines            bigint NOT NULL,
    max_recorded_at  timestamptz,
    -- SHA-256 of body.
    checksum         bytea NOT NULL,
    body             bytea NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX custody_fold_snapshots_cursor ON custody_fold_snapshots (transaction_id, position);

GRANT SELECT, INSERT, DELETE ON custody_fold_snapshots TO custody_app;
GRANT USAGE ON SEQUENCE custody_fold_snapshots_id_seq TO custody_app;
