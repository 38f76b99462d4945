-- The kiosks' staff PIN, as an argon2 hash: a locked kiosk opens its staff panel (leave kiosk mode, re-pair)
-- only for it. Kiosks receive the hash with the restaurant's settings and check a typed PIN themselves, so
-- staff can get in while the network is down.

ALTER TABLE tenants ADD COLUMN kiosk_pin_hash text;
