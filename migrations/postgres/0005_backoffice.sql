-- The back office: when each restaurant's business day starts, products switched off "until" a time, and
-- the app version each device runs.
-- Only columns of existing tables (and an index): their grants and row-level security policies cover them.

-- Minutes after local midnight (0 = midnight, 240 = 04:00); the API says "HH:MM".
ALTER TABLE tenants
    ADD COLUMN business_day_start_minutes bigint NOT NULL DEFAULT 0
        CHECK (business_day_start_minutes BETWEEN 0 AND 719);

-- When a product switched off comes back by itself; NULL when it does not.
ALTER TABLE products ADD COLUMN available_again_at timestamptz;
-- The server's due-check reads across restaurants every second: only the few products waiting count.
CREATE INDEX products_due_back ON products (available_again_at) WHERE available_again_at IS NOT NULL;

ALTER TABLE devices ADD COLUMN app_version text;
