-- The kiosks' staff PIN. See migrations/postgres/0008_kiosk_pin.sql.

ALTER TABLE tenants ADD COLUMN kiosk_pin_hash TEXT;
