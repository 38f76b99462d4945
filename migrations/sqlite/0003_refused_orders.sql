-- Orders a device saved that the server then refused for good. See migrations/postgres/0003_refused_orders.sql.

CREATE TABLE refused_orders (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           BLOB NOT NULL,
    device_id    BLOB,
    device_name  TEXT,
    reason       TEXT NOT NULL,
    order_type   TEXT NOT NULL CHECK (order_type IN ('dine_in', 'takeaway')),
    items        TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    refused_at   TEXT NOT NULL,
    resolved_at  TEXT,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX refused_orders_open ON refused_orders (tenant_id, refused_at) WHERE resolved_at IS NULL;
