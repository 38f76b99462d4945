-- Order ids are unique per restaurant. See migrations/postgres/0006_order_ids_per_restaurant.sql. SQLite
-- cannot change a table's key in place, so the table is rebuilt with the same columns.

CREATE TABLE orders_keyed (
    id             BLOB NOT NULL,
    tenant_id      BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    number         INTEGER NOT NULL,
    business_date  TEXT NOT NULL,
    order_type     TEXT NOT NULL CHECK (order_type IN ('dine_in', 'takeaway')),
    status         TEXT NOT NULL CHECK (status IN ('placed', 'preparing', 'ready', 'completed', 'cancelled')),
    items          TEXT NOT NULL,
    search_text    TEXT NOT NULL,
    total          INTEGER NOT NULL,
    note           TEXT NOT NULL DEFAULT '',
    device_id      BLOB,
    placed_at      TEXT NOT NULL,
    preparing_at   TEXT,
    ready_at       TEXT,
    completed_at   TEXT,
    cancelled_at   TEXT,
    cancel_reason  TEXT,
    updated_at     TEXT NOT NULL,
    history        TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, business_date, number)
);
INSERT INTO orders_keyed (id, tenant_id, number, business_date, order_type, status, items, search_text, total,
    note, device_id, placed_at, preparing_at, ready_at, completed_at, cancelled_at, cancel_reason, updated_at,
    history)
SELECT id, tenant_id, number, business_date, order_type, status, items, search_text, total, note, device_id,
    placed_at, preparing_at, ready_at, completed_at, cancelled_at, cancel_reason, updated_at, history
FROM orders;
DROP TABLE orders;
ALTER TABLE orders_keyed RENAME TO orders;
CREATE INDEX orders_tenant_placed ON orders (tenant_id, placed_at);
CREATE INDEX orders_tenant_status ON orders (tenant_id, status);
