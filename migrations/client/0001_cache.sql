-- The app's offline cache: what the device shows, where it is in the server's log, and the outbox of
-- commands not yet acknowledged. Entities are kept whole, as the server sent them (JSON), beside the few
-- columns needed to order and find them.

CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

CREATE TABLE categories (
    id        TEXT PRIMARY KEY,
    position  INTEGER NOT NULL,
    body      TEXT NOT NULL
);

CREATE TABLE products (
    id           TEXT PRIMARY KEY,
    category_id  TEXT NOT NULL,
    position     INTEGER NOT NULL,
    body         TEXT NOT NULL
);

CREATE TABLE orders (
    id         TEXT PRIMARY KEY,
    placed_at  TEXT NOT NULL,
    body       TEXT NOT NULL
);

CREATE TABLE outbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    command_id  TEXT NOT NULL UNIQUE,
    -- The `ClientMessage` to send, as JSON.
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'rejected')),
    reason      TEXT
);
