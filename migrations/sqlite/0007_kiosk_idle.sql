-- The kiosk's idle reset as a restaurant setting. See migrations/postgres/0007_kiosk_idle.sql.

ALTER TABLE tenants ADD COLUMN kiosk_idle_seconds INTEGER NOT NULL DEFAULT 90
    CHECK (kiosk_idle_seconds BETWEEN 10 AND 900);
