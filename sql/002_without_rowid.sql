-- 002_without_rowid.sql: rebuilds "orders" as a WITHOUT ROWID table,
-- taking user_version 1 -> 2 (inside store_sqlite.c's BEGIN IMMEDIATE, like
-- every migration: all of it or none).
--
-- Why: in 001's rowid tables the PRIMARY KEY (pk, sk) is a separate index,
-- so every row read is two b-tree seeks (the key in the index, then the row
-- by rowid in the table).  A WITHOUT ROWID table keeps its rows in the
-- primary key's own b-tree: one seek per row.  GET /api/orders (a user's
-- orders, a base-table query; make bench, tests/bench/callgrind.sh) went
-- from 125.8 k to 118.0 k instructions per request with it.  Large rows
-- would simply overflow (the first part in the b-tree cell, the rest on
-- overflow pages, as in a rowid table); orders are a few hundred bytes.
--
-- "main" stays a rowid table, measured: as WITHOUT ROWID it saved 1.1 k
-- instructions on GET /api/orders (the user lookup) but cost 2.3 k more
-- on GET /api/catalog with 4 items (each GSI row is then found by a seek on
-- the (pk, sk) text key instead of on the integer rowid: ~0.6 k a row here,
-- ~1.7 k a row in a 2,000-row table), and main is where the GSI queries
-- (catalog, sign-in by e-mail, admin lists) and the large items (sealed
-- token sets of a few KB) are.  Orders are read by key only.
--
-- The columns are 001's, in 001's order: moving "item" last (so that
-- expires_at and version stay in the cell of a large row) measured ~1.7 k
-- instructions more per GET /api/orders.  The new table is filled from the
-- old one (every row, expired or not: reads filter expiry), the old one is
-- dropped (with its indexes), the new one takes its name and gets 001's
-- indexes back under the same names.

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
