-- 001_init.sql: the single-table mirror (table "main") and the Orders table
-- (table "orders").  Applied by store_sqlite.c inside its own BEGIN IMMEDIATE
-- transaction (so no BEGIN/COMMIT here), taking user_version 0 -> 1.
--
-- One row per item.  "item" is the whole item as JSON (the attributes the
-- caller wrote, including PK and SK); the columns beside it are copies the
-- store maintains for lookups:
--   pk, sk            the item's PK and SK attributes (the primary key)
--   version           the item's version (authoritative: reads put it into
--                     the JSON they return)
--   expires_at        the "expires_at" attribute (Unix seconds) or NULL;
--                     rows with expires_at <= now are absent to every read
--   gsiNpk, gsiNsk    GSIN's key ("GSINPK"/"GSINSK"), both NULL unless the
--                     item has both attributes: the DynamoDB GSIs are sparse
--
-- Created here as ordinary rowid tables (items can be kilobytes: sealed
-- token sets); 002_without_rowid.sql rebuilds "orders" as a WITHOUT ROWID
-- table (one b-tree seek per row read instead of two) and says why "main"
-- stays as it is.  The GSI indexes end in (pk, sk) so that a query orders
-- ties on the index sort key stably, which cursors rely on.

CREATE TABLE main (
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
);
CREATE INDEX main_gsi1 ON main (gsi1pk, gsi1sk, pk, sk) WHERE gsi1pk IS NOT NULL;
CREATE INDEX main_gsi2 ON main (gsi2pk, gsi2sk, pk, sk) WHERE gsi2pk IS NOT NULL;
CREATE INDEX main_gsi3 ON main (gsi3pk, gsi3sk, pk, sk) WHERE gsi3pk IS NOT NULL;
CREATE INDEX main_expires ON main (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE orders (
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
);
CREATE INDEX orders_gsi1 ON orders (gsi1pk, gsi1sk, pk, sk) WHERE gsi1pk IS NOT NULL;
CREATE INDEX orders_gsi2 ON orders (gsi2pk, gsi2sk, pk, sk) WHERE gsi2pk IS NOT NULL;
CREATE INDEX orders_gsi3 ON orders (gsi3pk, gsi3sk, pk, sk) WHERE gsi3pk IS NOT NULL;
CREATE INDEX orders_expires ON orders (expires_at) WHERE expires_at IS NOT NULL;
