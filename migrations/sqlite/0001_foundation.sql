-- Tenants, accounts, devices, the menu, images and the per-tenant event log (embedded SQLite).
-- The same tables as migrations/postgres; ids are 16-byte BLOBs, times RFC 3339 text, booleans 0/1.
-- SQLite has no row-level security: the tenant scoping in every query is the wall here.

CREATE TABLE tenants (
    id          BLOB PRIMARY KEY,
    name        TEXT NOT NULL,
    timezone    TEXT NOT NULL,
    currency    TEXT NOT NULL,
    last_seq    INTEGER NOT NULL DEFAULT 0,
    epoch       INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL
);

CREATE TABLE users (
    id             BLOB PRIMARY KEY,
    tenant_id      BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email          TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'staff')),
    active         INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL
);
CREATE INDEX users_tenant ON users (tenant_id);

CREATE TABLE sessions (
    token_hash  BLOB PRIMARY KEY,
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id     BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE devices (
    id            BLOB PRIMARY KEY,
    tenant_id     BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('kiosk', 'kds', 'admin')),
    token_hash    BLOB NOT NULL UNIQUE,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT,
    revoked_at    TEXT
);
CREATE INDEX devices_tenant ON devices (tenant_id);

CREATE TABLE pairing_codes (
    code_hash   BLOB PRIMARY KEY,
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('kiosk', 'kds', 'admin')),
    name        TEXT NOT NULL,
    created_by  BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);

CREATE TABLE categories (
    id          BLOB PRIMARY KEY,
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    visible     INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX categories_tenant ON categories (tenant_id, position);

CREATE TABLE images (
    id             BLOB PRIMARY KEY,
    tenant_id      BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    width          INTEGER NOT NULL,
    height         INTEGER NOT NULL,
    display_bytes  BLOB NOT NULL,
    thumb_bytes    BLOB NOT NULL,
    etag           TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX images_tenant ON images (tenant_id);

CREATE TABLE products (
    id                   BLOB PRIMARY KEY,
    tenant_id            BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    category_id          BLOB NOT NULL REFERENCES categories (id) ON DELETE RESTRICT,
    name                 TEXT NOT NULL,
    description          TEXT NOT NULL DEFAULT '',
    price                INTEGER NOT NULL CHECK (price >= 0),
    allergens            TEXT NOT NULL DEFAULT '[]',
    station              TEXT NOT NULL,
    available            INTEGER NOT NULL DEFAULT 1,
    stock                INTEGER CHECK (stock >= 0),
    low_stock_threshold  INTEGER CHECK (low_stock_threshold >= 0),
    position             INTEGER NOT NULL,
    image_id             BLOB REFERENCES images (id) ON DELETE SET NULL,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
CREATE INDEX products_tenant ON products (tenant_id, category_id, position);

CREATE TABLE events (
    tenant_id  BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    at         TEXT NOT NULL,
    payload    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
