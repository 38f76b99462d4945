-- Tenants, accounts, devices, the menu, images and the per-tenant event log.
-- Every tenant table carries tenant_id and row-level security (at the end) as a second wall behind the
-- tenant scoping in every query.

CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    timezone    text NOT NULL,
    currency    text NOT NULL,
    -- The event log's position: bumped under this row's lock in the same transaction as each change.
    last_seq    bigint NOT NULL DEFAULT 0,
    -- Changes when the log is reset (restore, migration); clients holding another epoch resync.
    epoch       bigint NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL
);

CREATE TABLE users (
    id             uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email          text NOT NULL UNIQUE,
    name           text NOT NULL,
    password_hash  text NOT NULL,
    role           text NOT NULL CHECK (role IN ('owner', 'manager', 'staff')),
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL
);
CREATE INDEX users_tenant ON users (tenant_id);

CREATE TABLE sessions (
    token_hash  bytea PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE devices (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name          text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('kiosk', 'kds', 'admin')),
    token_hash    bytea NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX devices_tenant ON devices (tenant_id);

CREATE TABLE pairing_codes (
    code_hash   bytea PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('kiosk', 'kds', 'admin')),
    name        text NOT NULL,
    created_by  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);

CREATE TABLE categories (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name        text NOT NULL,
    position    bigint NOT NULL,
    visible     boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX categories_tenant ON categories (tenant_id, position);

-- Image bytes live in the database, not on a local disk, so that server replicas stay stateless.
CREATE TABLE images (
    id             uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    width          bigint NOT NULL,
    height         bigint NOT NULL,
    display_bytes  bytea NOT NULL,
    thumb_bytes    bytea NOT NULL,
    etag           text NOT NULL,
    created_at     timestamptz NOT NULL
);
CREATE INDEX images_tenant ON images (tenant_id);

CREATE TABLE products (
    id                   uuid PRIMARY KEY,
    tenant_id            uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    category_id          uuid NOT NULL REFERENCES categories (id) ON DELETE RESTRICT,
    name                 text NOT NULL,
    description          text NOT NULL DEFAULT '',
    price                bigint NOT NULL CHECK (price >= 0),
    allergens            jsonb NOT NULL DEFAULT '[]',
    station              text NOT NULL,
    available            boolean NOT NULL DEFAULT true,
    stock                bigint CHECK (stock >= 0),
    low_stock_threshold  bigint CHECK (low_stock_threshold >= 0),
    position             bigint NOT NULL,
    image_id             uuid REFERENCES images (id) ON DELETE SET NULL,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);
CREATE INDEX products_tenant ON products (tenant_id, category_id, position);

CREATE TABLE events (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    seq        bigint NOT NULL,
    at         timestamptz NOT NULL,
    payload    jsonb NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);

-- Row-level security. The server runs tenant-scoped transactions as the role ordera_tenant with
-- `ordera.tenant_id` set for the transaction; rows of any other tenant are invisible and unwritable there.
-- Unscoped look-ups (a token's owner, a login's account, a pairing code) run as the connecting role.
DO $$
BEGIN
    CREATE ROLE ordera_tenant NOLOGIN;
EXCEPTION
    -- Roles are cluster-wide: another database (or a concurrent migration) may have made it already.
    WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

DO $$
BEGIN
    IF NOT pg_has_role(current_user, 'ordera_tenant', 'MEMBER') THEN
        EXECUTE format('GRANT ordera_tenant TO %I', current_user);
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO ordera_tenant;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ordera_tenant;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ordera_tenant;

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants
    USING (id = NULLIF(current_setting('ordera.tenant_id', true), '')::uuid);

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users
    USING (tenant_id = NULLIF(current_setting('ordera.tenant_id', true), '')::uuid);

ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sessions
    USING (tenant_id = NULLIF(current_setting('ordera.tenant_id', true), '')::uuid);

ALTER TABLE devices ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON devices
    USING (tenant_id = NULLIF(current_setting('ordera.tenant_id', true), '')::uuid);

ALTER TABLE pairing_codes ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON pairing_codes
    USING (tenant_id = NULLIF(current_setting('ordera.tenant_id', true), '')::uuid);

ALTER TABLE categories ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON categories
    USING (tenant_id = NULLIF(current_setting('ordera.tenant_id', true), '')::uuid);

ALTER TABLE images ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON images
    USING (tenant_id = NULLIF(current_setting('ordera.tenant_id', true), '')::uuid);

ALTER TABLE products ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON products
    USING (tenant_id = NULLIF(current_setting('ordera.tenant_id', true), '')::uuid);

ALTER TABLE events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON events
    USING (tenant_id = NULLIF(current_setting('ordera.tenant_id', true), '')::uuid);
