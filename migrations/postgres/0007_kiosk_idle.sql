-- The kiosk's idle reset becomes the restaurant's setting, heard live by its kiosks (before, each kiosk
-- had it from its own environment, which still overrides it for that kiosk).

ALTER TABLE tenants ADD COLUMN kiosk_idle_seconds bigint NOT NULL DEFAULT 90
    CHECK (kiosk_idle_seconds BETWEEN 10 AND 900);
