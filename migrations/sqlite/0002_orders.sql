-- Orders and the results of commands (for idempotent retries). See migrations/postgres/0002_orders.sql.

CREATE TABLE orders (
    id             BLOB PRIMARY KEY,
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
    UNIQUE (tenant_id, business_date, number)
);
CREATE INDEX orders_tenant_placed ON orders (tenant_id, placed_at);
CREATE INDEX orders_tenant_status ON orders (tenant_id, status);

CREATE TABLE commands (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          BLOB NOT NULL,
    result      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX events_at ON events (at);
