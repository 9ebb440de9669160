-- 017: the webhook outbox (issue 17).
--
-- The projector writes one row per message in the same transaction as the read-model change that caused it: no
-- message without a committed change, no committed change without its message. A deliverer leases a message
-- (leased_until, committed at once: holding a row lock through an HTTP request would hold back every reader's
-- horizon), posts it, and records the outcome; a lease that runs out (a deliverer killed mid-delivery) makes the
-- message due again, so each is delivered at least once, with the same message_id (`webhook-id`) every time.
-- Messages of one subscription go out in id order: one is taken only when none before it is pending.
CREATE TABLE custody_webhook_outbox (
    id              bigserial PRIMARY KEY,
    message_id      text NOT NULL UNIQUE,
    subscription    text NOT NULL,
    organization    text NOT NULL,
    type            text NOT NULL,
    body            text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    leased_until    timestamptz,
    delivered_at    timestamptz,
    dead_at         timestamptz,
    last_status     integer,
    last_error      text
);
CREATE INDEX custody_webhook_outbox_pending ON custody_webhook_outbox (subscription, id)
    WHERE delivered_at IS NULL AND dead_at IS NULL;

REVOKE ALL ON custody_webhook_outbox FROM PUBLIC;
GRANT SELECT, INSERT ON custody_webhook_outbox TO custody_projector, custody_app;
GRANT UPDATE ON custody_webhook_outbox TO custody_app;
GRANT USAGE ON SEQUENCE custody_webhook_outbox_id_seq TO custody_projector, custody_app;
GRANT SELECT ON custody_webhook_outbox TO custody_reader;
