-- A lease names its holder, so a sender whose lease ran out cannot mark a row another sender
-- took over; a row that failed for good (a permanent error, or too many attempts) stays for
-- inspection with failed_at set and is not tried again.
ALTER TABLE notification_outbox
    ADD COLUMN lease_id  uuid,
    ADD COLUMN failed_at timestamptz;

DROP INDEX notification_outbox_due;
CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at)
    WHERE sent_at IS NULL AND failed_at IS NULL;
