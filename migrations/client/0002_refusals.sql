-- Orders the server refused for good that nobody has settled yet (admin and kitchen devices): kept whole,
-- as the server sent them.

CREATE TABLE refusals (
    id          TEXT PRIMARY KEY,
    refused_at  TEXT NOT NULL,
    body        TEXT NOT NULL
);
