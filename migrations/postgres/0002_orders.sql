-- Orders and the results of commands (for idempotent retries).
-- An order's lines are an immutable snapshot of what was ordered (names and prices as they were), kept as
-- one JSON document with the order rather than rows that would only ever be read together.

CREATE TABLE orders (
    id             uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    number         bigint NOT NULL,
    business_date  date NOT NULL,
    order_type     text NOT NULL CHECK (order_type IN ('dine_in', 'takeaway')),
    status         text NOT NULL CHECK (status IN ('placed', 'preparing', 'ready', 'completed', 'cancelled')),
    items          jsonb NOT NULL,
    -- Lower-cased item names and notes, for history search.
    search_text    text NOT NULL,
    total          bigint NOT NULL,
    note           text NOT NULL DEFAULT '',
    device_id      uuid,
    placed_at      timestamptz NOT NULL,
    preparing_at   timestamptz,
    ready_at       timestamptz,
    completed_at   timestamptz,
    cancelled_at   timestamptz,
    cancel_reason  text,
    updated_at     timestamptz NOT NULL,
    UNIQUE (tenant_id, business_date, number)
);
CREATE INDEX orders_tenant_placed ON orders (tenant_id, placed_at);
CREATE INDEX orders_tenant_active ON orders (tenant_id, status) WHERE status IN ('placed', 'preparing', 'ready');

CREATE TABLE commands (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL,
    result      jsonb NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX events_at ON events (at);

GRANT SELECT, INSERT, UPDATE, DELETE ON orders, commands TO ordera_tenant;

ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON orders
    USING (tenant_id = NULLIF(current_setting('ordera.tenant_id', true), '')::uuid);

ALTER TABLE commands ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON commands
    USING (tenant_id = NULLIF(current_setting('ordera.tenant_id', true), '')::uuid);
