-- 018: response.overdue, sent once per exposure row and subscription (issue 17).
--
-- A deliverer looks for current exposures nobody answered for a subscription's overdue period and queues one
-- message for each; row_key (deployment/incident) and this unique index make that once, whichever of several
-- deliverers gets there first (the losers' inserts do nothing).
ALTER TABLE custody_webhook_outbox ADD COLUMN row_key text;
CREATE UNIQUE INDEX custody_webhook_outbox_overdue ON custody_webhook_outbox (subscription, row_key)
    WHERE type = 'response.overdue';

-- Deliverers look up the standing subscriptions often: the few subscription facts are indexed on their own.
CREATE INDEX custody_events_webhooks ON custody_events (stream_id) WHERE type IN ('WebhookSubscribed', 'WebhookRemoved');
