-- 002_without_rowid.sql: rebuilds "main" and "orders" as WITHOUT ROWID
-- tables, taking user_version 1 -> 2 (inside store_sqlite.c's
-- BEGIN IMMEDIATE, like every migration: all of it or none).
--
-- Why: in 001's rowid tables the PRIMARY KEY (pk, sk) is a separate index,
-- so every row read is two b-tree seeks (the key in the index, then the row
-- by rowid in the table).  A WITHOUT ROWID table keeps its rows in the
-- primary key's own b-tree: one seek per row.  GET /api/orders (make bench)
-- went from ~133.9 k to ~123.1 k instructions per request with it.
--
-- Large items (sealed token sets of a few KB) are fine: a row that does not
-- fit in its b-tree cell keeps its first part there and the rest on
-- overflow pages, as in a rowid table (test-store-sqlite.c and the SSO e2e
-- suite store such items).  The columns are 001's, in 001's order: moving
-- "item" last (so that expires_at and version stay in the cell of a large
-- row) measured ~1.9 k instructions more per GET /api/orders, and every read
-- of a row reads its item anyway.  The price: interior pages of a
-- WITHOUT ROWID b-tree hold whole keys-with-rows (up to ~1 KB of each in
-- the cell), so a table of many large rows is a deeper tree than the rowid
-- one (SQLite advises WITHOUT ROWID for rows under ~1/20 of a page).  Here
-- the large rows are sessions, short-lived and swept; the rows read on every
-- request (users, orders) are a few hundred bytes.
--
-- The new tables are filled from the old ones (every row, expired or not:
-- reads filter expiry), the old ones are dropped (with their indexes), the
-- new ones take their names and get 001's indexes back under the same names.

CREATE TABLE main_new (
	pk		TEXT NOT NULL,
	sk		TEXT NOT NULL,
	item		TEXT NOT NULL,
	version		INTEGER NOT NULL,
	expires_at	INTEGER,
	gsi1pk		TEXT,
	gsi1sk		TEXT,
	gsi2pk		TEXT,
	gsi2sk		TEXT,
	gsi3pk		TEXT,
	gsi3sk		TEXT,
	PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
INSERT INTO main_new (pk, sk, version, expires_at, gsi1pk, gsi1sk, gsi2pk,
    gsi2sk, gsi3pk, gsi3sk, item)
    SELECT pk, sk, version, expires_at, gsi1pk, gsi1sk, gsi2pk, gsi2sk,
    gsi3pk, gsi3sk, item FROM main;
DROP TABLE main;
ALTER TABLE main_new RENAME TO main;
CREATE INDEX main_gsi1 ON main (gsi1pk, gsi1sk, pk, sk) WHERE gsi1pk IS NOT NULL;
CREATE INDEX main_gsi2 ON main (gsi2pk, gsi2sk, pk, sk) WHERE gsi2pk IS NOT NULL;
CREATE INDEX main_gsi3 ON main (gsi3pk, gsi3sk, pk, sk) WHERE gsi3pk IS NOT NULL;
CREATE INDEX main_expires ON main (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE orders_new (
	pk		TEXT NOT NULL,
	sk		TEXT NOT NULL,
	item		TEXT NOT NULL,
	version		INTEGER NOT NULL,
	expires_at	INTEGER,
	gsi1pk		TEXT,
	gsi1sk		TEXT,
	gsi2pk		TEXT,
	gsi2sk		TEXT,
	gsi3pk		TEXT,
	gsi3sk		TEXT,
	PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
INSERT INTO orders_new (pk, sk, version, expires_at, gsi1pk, gsi1sk, gsi2pk,
    gsi2sk, gsi3pk, gsi3sk, item)
    SELECT pk, sk, version, expires_at, gsi1pk, gsi1sk, gsi2pk, gsi2sk,
    gsi3pk, gsi3sk, item FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;
CREATE INDEX orders_gsi1 ON orders (gsi1pk, gsi1sk, pk, sk) WHERE gsi1pk IS NOT NULL;
CREATE INDEX orders_gsi2 ON orders (gsi2pk, gsi2sk, pk, sk) WHERE gsi2pk IS NOT NULL;
CREATE INDEX orders_gsi3 ON orders (gsi3pk, gsi3sk, pk, sk) WHERE gsi3pk IS NOT NULL;
CREATE INDEX orders_expires ON orders (expires_at) WHERE expires_at IS NOT NULL;
