-- Orders a device saved that the server then refused for good (sold out meanwhile, off the menu). The
-- customer may be waiting with the device's reference, so they are kept until staff settle them.
-- What was ordered is kept as the device sent it, with the names the products had, as one JSON document.

CREATE TABLE refused_orders (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid NOT NULL,
    device_id    uuid,
    device_name  text,
    reason       text NOT NULL,
    order_type   text NOT NULL CHECK (order_type IN ('dine_in', 'takeaway')),
    items        jsonb NOT NULL,
    note         text NOT NULL DEFAULT '',
    refused_at   timestamptz NOT NULL,
    resolved_at  timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX refused_orders_open ON refused_orders (tenant_id, refused_at) WHERE resolved_at IS NULL;

GRANT SELECT, INSERT, UPDATE, DELETE ON refused_orders TO ordera_tenant;

ALTER TABLE refused_orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON refused_orders
    USING (tenant_id = NULLIF(current_setting('ordera.tenant_id', true), '')::uuid);
