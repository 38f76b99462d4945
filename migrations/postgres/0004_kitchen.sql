-- The kitchen's screens: timer thresholds per restaurant, each order's moves through the kitchen (who and
-- when), and where each device last said it was in the restaurant's log.
-- Only columns of existing tables: their grants and row-level security policies cover them already.

ALTER TABLE tenants
    ADD COLUMN kitchen_warn_minutes bigint NOT NULL DEFAULT 5 CHECK (kitchen_warn_minutes BETWEEN 1 AND 240),
    ADD COLUMN kitchen_late_minutes bigint NOT NULL DEFAULT 8 CHECK (kitchen_late_minutes BETWEEN 1 AND 240);

-- One JSON array of steps {status, at, device_id, by}, oldest first; orders stored before it have none.
ALTER TABLE orders ADD COLUMN history jsonb NOT NULL DEFAULT '[]';

-- What a device last reported with its pings: the log position it has applied, when, and how many changes it
-- had waiting to be sent. Written at most every few seconds per connection, and never logged as an event.
ALTER TABLE devices
    ADD COLUMN position bigint,
    ADD COLUMN position_at timestamptz,
    ADD COLUMN outbox bigint;
