-- 019: endpoints that only fail are disabled (issue 17).
--
-- A subscription whose messages have only been dead-lettered for a deliverer's --webhook-disable-after period is
-- disabled: its messages are dead-lettered at once instead of tried, and `custody webhook list` says so. A test
-- message is still tried (`custody webhook test`), and any delivery that succeeds enables the endpoint again.
CREATE TABLE custody_webhook_disabled (
    subscription text PRIMARY KEY,
    since        timestamptz NOT NULL,
    reason       text NOT NULL
);
REVOKE ALL ON custody_webhook_disabled FROM PUBLIC;
GRANT SELECT, INSERT, DELETE ON custody_webhook_disabled TO custody_app;
GRANT SELECT ON custody_webhook_disabled TO custody_reader, custody_writer;
