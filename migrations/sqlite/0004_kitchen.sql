-- The kitchen's screens: timer thresholds, order history, device log positions. See
-- migrations/postgres/0004_kitchen.sql.

ALTER TABLE tenants ADD COLUMN kitchen_warn_minutes INTEGER NOT NULL DEFAULT 5
    CHECK (kitchen_warn_minutes BETWEEN 1 AND 240);
ALTER TABLE tenants ADD COLUMN kitchen_late_minutes INTEGER NOT NULL DEFAULT 8
    CHECK (kitchen_late_minutes BETWEEN 1 AND 240);

ALTER TABLE orders ADD COLUMN history TEXT NOT NULL DEFAULT '[]';

ALTER TABLE devices ADD COLUMN position INTEGER;
ALTER TABLE devices ADD COLUMN position_at TEXT;
ALTER TABLE devices ADD COLUMN outbox INTEGER;
