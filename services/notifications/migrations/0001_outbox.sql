-- Mails to send, one per causing event (its id is the primary key and the Message-ID), queued
-- by the outbox projection in the same transaction as its Kafka offsets: each event queues
-- exactly one mail, whatever the redeliveries.
CREATE TABLE notification_outbox
(
    event_id        uuid        PRIMARY KEY,
    kind            text        NOT NULL,
    user_id         uuid        NOT NULL,
    tenant_id       text        NOT NULL,
    queued_at       timestamptz NOT NULL DEFAULT now(),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- A sender holds a row until then; a crashed sender's rows come back after it.
    leased_until    timestamptz,
    sent_at         timestamptz,
    last_error      text
);

CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at)
    WHERE sent_at IS NULL;
