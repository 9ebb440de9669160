-- 020: the deliverer may record what became of a message, not rewrite it.
--
-- 017 let custody_app UPDATE whole outbox rows; a deliverer needs only the delivery columns. A message's id,
-- subscription, type and body, which the receiver verifies a signature over, stay as the projector wrote them.
REVOKE UPDATE ON custody_webhook_outbox FROM custody_app;
GRANT UPDATE (attempts, next_attempt_at, leased_until, delivered_at, dead_at, last_status, last_error)
    ON custody_webhook_outbox TO custody_app;
