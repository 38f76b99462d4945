-- The back office: business day start, products off "until", device app versions. See
-- migrations/postgres/0005_backoffice.sql.

ALTER TABLE tenants ADD COLUMN business_day_start_minutes INTEGER NOT NULL DEFAULT 0
    CHECK (business_day_start_minutes BETWEEN 0 AND 719);

ALTER TABLE products ADD COLUMN available_again_at TEXT;
CREATE INDEX products_due_back ON products (available_again_at) WHERE available_again_at IS NOT NULL;

ALTER TABLE devices ADD COLUMN app_version TEXT;
