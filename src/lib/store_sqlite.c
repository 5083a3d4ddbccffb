/*
 * store_sqlite.c: the SQLite storage backend (the default), one file that
 * mirrors the DynamoDB single-table design (schema: sql/001_init.sql, then
 * sql/002_without_rowid.sql: "orders" is a WITHOUT ROWID table, so no
 * statement may use rowid; every table is keyed by (pk, sk)).
 *
 * One connection per process, opened by gh_store_open and refused after a
 * fork (SQLite connections must not cross fork(): open the store in the
 * child).  Statements are prepared on first use and kept for the life of
 * the connection.  Writes are single statements (conditional puts, delete
 * with RETURNING) or BEGIN IMMEDIATE read-check-write transactions
 * (updates, conditional deletes), so concurrent writers in several processes
 * serialise on SQLite's write lock.
 *
 * Durability: WAL with synchronous=FULL.  In WAL mode, synchronous=NORMAL
 * does not sync the WAL at commit, so a committed transaction survives a
 * crash of the process but may be lost if the machine or the OS crashes or
 * loses power before the next checkpoint.  A 2xx answer promises the write
 * survives that too, so every commit syncs the WAL (FULL).
 *
 * Errors: SQLITE_BUSY/SQLITE_LOCKED after the busy timeout (conf
 * sqlite_busy_ms) is GH_ERR_THROTTLED: the database is up but too contended
 * right now, and the request may be retried (as DynamoDB's throttling).  A
 * constraint failure is GH_ERR_CONFLICT; anything else GH_ERR_STORE.
 *
 * Expiry: every read, condition and delete filters expires_at > now in SQL;
 * expired rows are also swept a few at a time every SWEEP_EVERY writes.
 *
 * Not thread-safe: one store per thread (the FastCGI loop has one).
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "gh_conf.h"
#include "gh_json.h"
#include "store_impl.h"

/* Generated from sql/NNN_*.sql (build/<tree>/gen/migrations.c). */
extern const char *const gh_migrations[];
extern const size_t gh_migrations_count;

#define SWEEP_EVERY	64	/* writes between two sweeps */
#define SWEEP_ROWS	64	/* expired rows deleted per sweep and table */
#define SQL_MAX		1024	/* longest statement text we build */

#define ITEM_JSON_FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* The live-row filter; ?3 is always "now". */
#define LIVE		"(expires_at IS NULL OR expires_at > ?3)"

enum st {
	ST_GET = 0,	/* ?1 pk, ?2 sk, ?3 now -> item, version */
	ST_PUT,		/* unconditional upsert -> version */
	ST_PUT_NEW,	/* insert unless a live row exists -> version */
	ST_PUT_OLD,	/* replace a live row (?12 version or NULL) -> version */
	ST_DELETE,	/* delete a live row (?4 version or NULL) -> item, version */
	ST_SWEEP,	/* delete some rows expired at ?3 */
	ST__MAX
};

enum txst {
	TX_BEGIN = 0,	/* BEGIN IMMEDIATE */
	TX_BEGIN_READ,	/* BEGIN (deferred: a consistent read snapshot) */
	TX_COMMIT,
	TX_ROLLBACK,
	TX__MAX
};

static const char *const txsql[TX__MAX] = {
	[TX_BEGIN] = "BEGIN IMMEDIATE",
	[TX_BEGIN_READ] = "BEGIN",
	[TX_COMMIT] = "COMMIT",
	[TX_ROLLBACK] = "ROLLBACK",
};

/* Columns filled from an item, bound as ?4..?10 by bind_item. */
#define ITEM_COLS	"expires_at, gsi1pk, gsi1sk, gsi2pk, gsi2sk, gsi3pk, gsi3sk"
#define ITEM_VALS	"?4, ?5, ?6, ?7, ?8, ?9, ?10"
#define ITEM_SET	"expires_at = ?4, gsi1pk = ?5, gsi1sk = ?6, " \
			"gsi2pk = ?7, gsi2sk = ?8, gsi3pk = ?9, gsi3sk = ?10"

/*
 * The statements, with %T the table.  Parameters: ?1 pk, ?2 sk, ?3 now,
 * ?4..?10 the item's columns, ?11 the item's JSON, ?12 a version.
 */
static const char *const stsql[ST__MAX] = {
	[ST_GET] =
	    "SELECT item, version FROM %T WHERE pk = ?1 AND sk = ?2 AND " LIVE,
	[ST_PUT] =
	    "INSERT INTO %T (pk, sk, item, version, " ITEM_COLS ") "
	    "VALUES (?1, ?2, ?11, 1, " ITEM_VALS ") "
	    "ON CONFLICT (pk, sk) DO UPDATE SET item = ?11, "
	    "version = CASE WHEN expires_at IS NOT NULL AND expires_at <= ?3 "
	    "THEN 1 ELSE version + 1 END, " ITEM_SET " RETURNING version",
	[ST_PUT_NEW] =
	    "INSERT INTO %T (pk, sk, item, version, " ITEM_COLS ") "
	    "VALUES (?1, ?2, ?11, 1, " ITEM_VALS ") "
	    "ON CONFLICT (pk, sk) DO UPDATE SET item = ?11, version = 1, "
	    ITEM_SET " WHERE expires_at IS NOT NULL AND expires_at <= ?3 "
	    "RETURNING version",
	[ST_PUT_OLD] =
	    "UPDATE %T SET item = ?11, version = version + 1, " ITEM_SET " "
	    "WHERE pk = ?1 AND sk = ?2 AND " LIVE " AND "
	    "(?12 IS NULL OR version = ?12) RETURNING version",
	[ST_DELETE] =
	    "DELETE FROM %T WHERE pk = ?1 AND sk = ?2 AND " LIVE " AND "
	    "(?12 IS NULL OR version = ?12) RETURNING item, version",
	[ST_SWEEP] =
	    "DELETE FROM %T WHERE (pk, sk) IN (SELECT pk, sk FROM %T "
	    "WHERE expires_at <= ?3 LIMIT 64)",
};

struct sq {
	sqlite3		*db;
	unsigned	 forks;		/* sq_forks when it was opened */
	int		 busy_ms;	/* conf sqlite_busy_ms */
	struct timespec	 busy_t0;	/* first try of the current wait */
	unsigned	 writes;	/* since open, for sweeping */
	json_tokener	*tok;		/* parses stored items, made on first use */
	sqlite3_stmt	*tx[TX__MAX];
	sqlite3_stmt	*st[GH_TABLE__MAX][ST__MAX];
	/* Queries by table, index, sk operator, descending, resuming, text. */
	sqlite3_stmt	*q[GH_TABLE__MAX][GH_INDEX__MAX][GH_SK__MAX][2][2][2];
};

/* Maps a SQLite result code onto the interface's errors. */
static enum gh_err
sq_fail(struct gh_store *s, int rc, const char *what)
{
	struct sq	*sq = s->impl;
	enum gh_err	 err;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		err = GH_ERR_THROTTLED;
		break;
	case SQLITE_CONSTRAINT:
		err = GH_ERR_CONFLICT;
		break;
	case SQLITE_NOMEM:
		err = GH_ERR_NOMEM;
		break;
	case SQLITE_TOOBIG:
		err = GH_ERR_INVAL;
		break;
	default:
		err = GH_ERR_STORE;
		break;
	}
	return gh_store_fail(s, err, "sqlite: %s: %s", what,
	    sq != NULL && sq->db != NULL ? sqlite3_errmsg(sq->db) :
	    sqlite3_errstr(rc));
}

/*
 * Forks seen by this process: a connection is refused in a process other
 * than the one that opened it.  Counted by an atfork hook, so that the
 * check on every call is a compare, not a getpid(2) each.
 */
static unsigned		 sq_forks;

static void
sq_forked(void)
{
	sq_forks++;
}

/* The connection, or NULL (and s->errmsg) if used in a forked child. */
static struct sq *
sq_get(struct gh_store *s)
{
	struct sq	*sq = s->impl;

	if (sq->forks != sq_forks) {
		gh_store_fail(s, GH_ERR_STORE,
		    "sqlite: store opened in another process (fork)");
		return NULL;
	}
	return sq;
}

static void
sq_done(sqlite3_stmt *st)
{
	if (st != NULL) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

static enum gh_err
sq_prepare(struct gh_store *s, sqlite3_stmt **slot, const char *sql)
{
	struct sq	*sq = s->impl;
	int		 rc;

	if (*slot != NULL)
		return GH_OK;
	rc = sqlite3_prepare_v3(sq->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    slot, NULL);
	if (rc != SQLITE_OK) {
		*slot = NULL;
		return sq_fail(s, rc, "prepare");
	}
	return GH_OK;
}

/* Copies tmpl into buf with every "%T" replaced by table (fits SQL_MAX). */
static void
subst_table(char *buf, size_t size, const char *tmpl, const char *table)
{
	size_t	 n = 0, tl = strlen(table);

	while (*tmpl != '\0' && n + tl + 1 < size) {
		if (tmpl[0] == '%' && tmpl[1] == 'T') {
			memcpy(buf + n, table, tl);
			n += tl;
			tmpl += 2;
		} else
			buf[n++] = *tmpl++;
	}
	buf[n] = '\0';
}

static enum gh_err
sq_stmt(struct gh_store *s, enum gh_table t, enum st which,
    sqlite3_stmt **out)
{
	struct sq	*sq = s->impl;
	char		 sql[SQL_MAX];
	enum gh_err	 err;

	if (sq->st[t][which] == NULL) {
		subst_table(sql, sizeof(sql), stsql[which], gh_table_names[t]);
		if ((err = sq_prepare(s, &sq->st[t][which], sql)) != GH_OK)
			return err;
	}
	*out = sq->st[t][which];
	return GH_OK;
}

/* Runs one of BEGIN/COMMIT/ROLLBACK. */
static enum gh_err
sq_tx(struct gh_store *s, enum txst which)
{
	struct sq	*sq = s->impl;
	enum gh_err	 err;
	int		 rc;

	if ((err = sq_prepare(s, &sq->tx[which], txsql[which])) != GH_OK)
		return err;
	rc = sqlite3_step(sq->tx[which]);
	sqlite3_reset(sq->tx[which]);
	if (rc != SQLITE_DONE)
		return sq_fail(s, rc, txsql[which]);
	return GH_OK;
}

/* Rolls back if a transaction is open (after a failure). */
static void
sq_abort(struct gh_store *s)
{
	struct sq	*sq = s->impl;

	if (!sqlite3_get_autocommit(sq->db))
		(void)sq_tx(s, TX_ROLLBACK);
}

static int
bind_str(sqlite3_stmt *st, int i, json_object *v)
{
	return sqlite3_bind_text(st, i, json_object_get_string(v),
	    json_object_get_string_len(v), SQLITE_STATIC);
}

/*
 * Binds ?1 pk, ?2 sk, ?3 now, ?4..?10 the lookup columns and ?11 the JSON of
 * an item already checked by gh_store_check_item.  The JSON text belongs to
 * item and stays valid until item is next serialised or changed.
 */
static int
bind_item(sqlite3_stmt *st, json_object *item, int64_t now)
{
	json_object	*v, *ipk, *isk;
	const char	*js;
	size_t		 len;
	int		 rc, i;

	json_object_object_get_ex(item, "PK", &v);
	if ((rc = bind_str(st, 1, v)) != SQLITE_OK)
		return rc;
	json_object_object_get_ex(item, "SK", &v);
	if ((rc = bind_str(st, 2, v)) != SQLITE_OK)
		return rc;
	if ((rc = sqlite3_bind_int64(st, 3, now)) != SQLITE_OK)
		return rc;
	if (json_object_object_get_ex(item, "expires_at", &v))
		rc = sqlite3_bind_int64(st, 4, json_object_get_int64(v));
	else
		rc = sqlite3_bind_null(st, 4);
	if (rc != SQLITE_OK)
		return rc;
	for (i = GH_INDEX_GSI1; i < GH_INDEX__MAX; i++) {
		/* Sparse, as in DynamoDB: in the index only with both keys. */
		if (json_object_object_get_ex(item, gh_index_pk[i], &ipk) &&
		    json_object_object_get_ex(item, gh_index_sk[i], &isk)) {
			if ((rc = bind_str(st, 3 + 2 * i, ipk)) != SQLITE_OK ||
			    (rc = bind_str(st, 4 + 2 * i, isk)) != SQLITE_OK)
				return rc;
		}
		/* Unbound parameters are NULL. */
	}
	js = json_object_to_json_string_length(item, ITEM_JSON_FLAGS, &len);
	if (js == NULL)
		return SQLITE_NOMEM;
	return sqlite3_bind_text(st, 11, js, (int)len, SQLITE_STATIC);
}

/* Parses a stored item and sets its version from the column. */
static enum gh_err
sq_item(struct gh_store *s, sqlite3_stmt *st, int col, json_object **out)
{
	struct sq	*sq = s->impl;
	json_object	*item = NULL, *v;
	const char	*text;
	int		 len;

	text = (const char *)sqlite3_column_text(st, col);
	len = sqlite3_column_bytes(st, col);
	if (text == NULL)
		return gh_store_fail(s, GH_ERR_NOMEM, "sqlite: reading item");
	if (sq->tok == NULL && (sq->tok = json_tokener_new()) == NULL)
		return GH_ERR_NOMEM;
	json_tokener_reset(sq->tok);
	item = json_tokener_parse_ex(sq->tok, text, len);
	if (item == NULL || json_tokener_get_error(sq->tok) != json_tokener_success ||
	    !json_object_is_type(item, json_type_object)) {
		json_object_put(item);
		return gh_store_fail(s, GH_ERR_STORE,
		    "sqlite: stored item is not a JSON object");
	}
	if ((v = json_object_new_int64(sqlite3_column_int64(st, col + 1))) ==
	    NULL || json_object_object_add(item, "version", v) != 0) {
		json_object_put(v);
		json_object_put(item);
		return GH_ERR_NOMEM;
	}
	*out = item;
	return GH_OK;
}

/*
 * Deletes a few expired rows now and then.  It never waits for the write
 * lock (another writer holds it: try next time) and its failures do not
 * matter: expired rows are absent to every read whether swept or not.
 */
/*
 * The busy handler.  SQLite's own (sqlite3_busy_timeout) sleeps 1, 2, 5, 10,
 * 15, 20, 25, 25, 25, 50, 50, then 100 ms between tries, so under write
 * contention a waiter often sleeps on long after the lock was released: in
 * make bench the init-session + get-session pairs (two writers per pair)
 * had a p99 of 500-700 ms with it.  This one tries again after 50 us,
 * doubling to 1 ms, until busy_ms have passed since the wait began; then
 * SQLITE_BUSY, which callers see as GH_ERR_THROTTLED as before.
 */
static int
sq_busy(void *arg, int n)
{
	struct sq	*sq = arg;
	struct timespec	 now, ts;
	long		 us;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (n == 0)
		sq->busy_t0 = now;
	if ((now.tv_sec - sq->busy_t0.tv_sec) * 1000 +
	    (now.tv_nsec - sq->busy_t0.tv_nsec) / 1000000 >= sq->busy_ms)
		return 0;
	us = n < 5 ? 50L << n : 1000L;
	ts.tv_sec = 0;
	ts.tv_nsec = us * 1000L;
	nanosleep(&ts, NULL);
	return 1;
}

/* Waits up to busy_ms for a lock (on), or not at all (off). */
static int
sq_busy_wait(struct sq *sq, int on)
{
	return on && sq->busy_ms > 0 ? sqlite3_busy_handler(sq->db, sq_busy, sq) :
	    sqlite3_busy_handler(sq->db, NULL, NULL);
}

static void
sq_sweep(struct gh_store *s)
{
	struct sq	*sq = s->impl;
	sqlite3_stmt	*st;
	int		 t;

	if (++sq->writes % SWEEP_EVERY != 1)
		return;
	sq_busy_wait(sq, 0);
	for (t = 0; t < GH_TABLE__MAX; t++) {
		if (sq_stmt(s, t, ST_SWEEP, &st) != GH_OK)
			continue;
		if (sqlite3_bind_int64(st, 3, gh_store_now()) == SQLITE_OK)
			(void)sqlite3_step(st);
		sq_done(st);
	}
	sq_busy_wait(sq, 1);
}

/*
 * Applies the migrations the database has not seen, all in one
 * BEGIN IMMEDIATE transaction: when several processes start at once, one
 * migrates and the others wait for it, then find nothing left to do.
 */
static enum gh_err
sq_user_version(struct gh_store *s, int64_t *out)
{
	struct sq	*sq = s->impl;
	sqlite3_stmt	*st = NULL;
	enum gh_err	 err = GH_OK;
	int		 rc;

	rc = sqlite3_prepare_v2(sq->db, "PRAGMA user_version", -1, &st, NULL);
	if (rc != SQLITE_OK || (rc = sqlite3_step(st)) != SQLITE_ROW)
		err = sq_fail(s, rc, "reading user_version");
	else
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return err;
}

/*
 * Applies the migrations the database has not seen, all in one
 * BEGIN IMMEDIATE transaction: when several processes start at once, one
 * migrates and the others wait for it, then find nothing left to do.  A
 * database newer than this program is refused, never written.
 */
static enum gh_err
sq_migrate(struct gh_store *s)
{
	struct sq	*sq = s->impl;
	char		*errmsg = NULL, sql[64];
	int64_t		 have = 0;
	size_t		 i;
	enum gh_err	 err;
	int		 rc;

	if ((err = sq_user_version(s, &have)) != GH_OK)
		goto out;
	if (have < (int64_t)gh_migrations_count) {
		/* Behind: take the write lock, then look again. */
		if ((err = sq_tx(s, TX_BEGIN)) != GH_OK ||
		    (err = sq_user_version(s, &have)) != GH_OK)
			goto out;
	}
	if (have > (int64_t)gh_migrations_count) {
		err = gh_store_fail(s, GH_ERR_STORE, "sqlite: database schema "
		    "version %lld is newer than this program's (%zu): "
		    "upgrade gatehouse", (long long)have, gh_migrations_count);
		goto out;
	}
	for (i = (size_t)have; i < gh_migrations_count; i++) {
		rc = sqlite3_exec(sq->db, gh_migrations[i], NULL, NULL, &errmsg);
		if (rc != SQLITE_OK) {
			err = gh_store_fail(s, GH_ERR_STORE,
			    "sqlite: migration %zu: %s", i + 1,
			    errmsg != NULL ? errmsg : sqlite3_errstr(rc));
			goto out;
		}
	}
	if (have < (int64_t)gh_migrations_count) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu",
		    gh_migrations_count);
		rc = sqlite3_exec(sq->db, sql, NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			err = sq_fail(s, rc, "setting user_version");
			goto out;
		}
	}
	if (!sqlite3_get_autocommit(sq->db))
		err = sq_tx(s, TX_COMMIT);
out:
	if (err != GH_OK)
		sq_abort(s);
	sqlite3_free(errmsg);
	return err;
}

static void
sq_close(struct gh_store *s)
{
	struct sq	*sq = s->impl;
	sqlite3_stmt	**p, **end;

	if (sq == NULL)
		return;
	/* In a forked child the connection is the parent's: leave it. */
	if (sq->db != NULL && sq->forks == sq_forks) {
		for (p = sq->tx, end = p + TX__MAX; p < end; p++)
			sqlite3_finalize(*p);
		for (p = &sq->st[0][0], end = p + GH_TABLE__MAX * ST__MAX;
		    p < end; p++)
			sqlite3_finalize(*p);
		for (p = &sq->q[0][0][0][0][0][0], end = p + sizeof(sq->q) /
		    sizeof(sq->q[0][0][0][0][0][0]); p < end; p++)
			sqlite3_finalize(*p);
		sqlite3_close(sq->db);
	}
	if (sq->tok != NULL)	/* json-c's free takes no NULL */
		json_tokener_free(sq->tok);
	free(sq);
	s->impl = NULL;
}

/* WAL mode (persistent, in the file), then the migrations. */
static enum gh_err
sq_setup(struct gh_store *s, const char *path)
{
	struct sq	*sq = s->impl;
	sqlite3_stmt	*st = NULL;
	const char	*mode;
	int		 rc, wal = 0;

	rc = sqlite3_prepare_v2(sq->db, "PRAGMA journal_mode = WAL", -1, &st,
	    NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		mode = (const char *)sqlite3_column_text(st, 0);
		wal = mode != NULL && strcmp(mode, "wal") == 0;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc, "journal_mode");
	if (!wal)
		return gh_store_fail(s, GH_ERR_STORE,
		    "sqlite: %s: cannot use WAL mode", path);
	return sq_migrate(s);
}

static enum gh_err
sq_open(struct gh_store *s, const struct gh_conf *conf)
{
	static const struct timespec pause = { 0, 10 * 1000 * 1000 };
	struct timespec	 t0, t;
	struct sq	*sq;
	const char	*path;
	int64_t		 busy;
	enum gh_err	 err;
	int		 rc, fd;

	path = gh_conf_str(conf, GH_CONF_SQLITE_PATH);
	busy = gh_conf_int(conf, GH_CONF_SQLITE_BUSY_MS);
	if (path[0] == '\0')
		return gh_store_fail(s, GH_ERR_CONFIG, "sqlite_path is empty");
	if (busy > INT_MAX)
		busy = INT_MAX;
	if ((sq = calloc(1, sizeof(*sq))) == NULL)
		return GH_ERR_NOMEM;
	static int	 hooked;

	if (!hooked) {
		hooked = 1;
		(void)pthread_atfork(NULL, NULL, sq_forked);
	}
	sq->forks = sq_forks;
	s->impl = sq;

	/* Create it 0600 ourselves: it holds sessions and tokens.  SQLite
	 * gives the -wal and -shm files the database file's mode. */
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		return gh_store_fail(s, GH_ERR_STORE, "sqlite: %s: %s", path,
		    strerror(errno));
	close(fd);

	rc = sqlite3_open_v2(path, &sq->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc, path);
	sqlite3_extended_result_codes(sq->db, 1);
	sq->busy_ms = (int)busy;
	if ((rc = sq_busy_wait(sq, 1)) != SQLITE_OK)
		return sq_fail(s, rc, "busy_handler");
	/* FULL: see the top of this file (2xx survives a machine crash). */
	rc = sqlite3_exec(sq->db, "PRAGMA synchronous = FULL", NULL, NULL,
	    NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc, "synchronous");
	rc = sqlite3_exec(sq->db, "PRAGMA trusted_schema = OFF", NULL, NULL,
	    NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc, "trusted_schema");

	/*
	 * Switching a new file to WAL can answer SQLITE_BUSY at once, without
	 * the busy handler, while another process is switching or migrating
	 * it: retry the setup until the busy timeout is spent.
	 */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if ((err = sq_setup(s, path)) != GH_ERR_THROTTLED)
			return err;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 +
		    (t.tv_nsec - t0.tv_nsec) / 1000000 >= busy)
			return err;
		nanosleep(&pause, NULL);
	}
}

static enum gh_err
sq_ping(struct gh_store *s)
{
	struct sq	*sq;
	sqlite3_stmt	*st;
	enum gh_err	 err;
	int		 rc;

	if ((sq = sq_get(s)) == NULL)
		return GH_ERR_STORE;
	s->ops++;
	if ((err = sq_stmt(s, GH_TABLE_MAIN, ST_GET, &st)) != GH_OK)
		return err;
	/* A lookup that finds nothing still reads the schema and a page. */
	if ((rc = sqlite3_bind_text(st, 1, "\x01", 1, SQLITE_STATIC)) ||
	    (rc = sqlite3_bind_text(st, 2, "\x01", 1, SQLITE_STATIC)) ||
	    (rc = sqlite3_bind_int64(st, 3, gh_store_now())))
		err = sq_fail(s, rc, "ping");
	else if ((rc = sqlite3_step(st)) != SQLITE_DONE && rc != SQLITE_ROW)
		err = sq_fail(s, rc, "ping");
	sq_done(st);
	return err;
}

/* Looks the live item up; GH_ERR_NOTFOUND if none.  out may be NULL. */
static enum gh_err
sq_lookup(struct gh_store *s, enum gh_table t, const char *pk,
    const char *sk, int64_t now, json_object **out, int64_t *version)
{
	sqlite3_stmt	*st;
	enum gh_err	 err;
	int		 rc;

	if ((err = sq_stmt(s, t, ST_GET, &st)) != GH_OK)
		return err;
	if ((rc = sqlite3_bind_text(st, 1, pk, -1, SQLITE_STATIC)) ||
	    (rc = sqlite3_bind_text(st, 2, sk, -1, SQLITE_STATIC)) ||
	    (rc = sqlite3_bind_int64(st, 3, now))) {
		err = sq_fail(s, rc, "get");
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		err = GH_ERR_NOTFOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		err = sq_fail(s, rc, "get");
		goto out;
	}
	if (version != NULL)
		*version = sqlite3_column_int64(st, 1);
	if (out != NULL)
		err = sq_item(s, st, 0, out);
out:
	sq_done(st);
	return err;
}

static enum gh_err
sq_get_item(struct gh_store *s, enum gh_table t, const char *pk,
    const char *sk, json_object **out)
{
	if (sq_get(s) == NULL)
		return GH_ERR_STORE;
	s->ops++;
	return sq_lookup(s, t, pk, sk, gh_store_now(), out, NULL);
}

/* The live item's stored text, copied, and its version. */
static enum gh_err
sq_get_text(struct gh_store *s, enum gh_table t, const char *pk,
    const char *sk, char **text, size_t *len, int64_t *version)
{
	sqlite3_stmt	*st;
	const char	*js;
	enum gh_err	 err;
	int		 rc, n;

	if (sq_get(s) == NULL)
		return GH_ERR_STORE;
	s->ops++;
	if ((err = sq_stmt(s, t, ST_GET, &st)) != GH_OK)
		return err;
	if ((rc = sqlite3_bind_text(st, 1, pk, -1, SQLITE_STATIC)) ||
	    (rc = sqlite3_bind_text(st, 2, sk, -1, SQLITE_STATIC)) ||
	    (rc = sqlite3_bind_int64(st, 3, gh_store_now()))) {
		err = sq_fail(s, rc, "get");
		goto out;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		err = GH_ERR_NOTFOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		err = sq_fail(s, rc, "get");
		goto out;
	}
	js = (const char *)sqlite3_column_text(st, 0);
	n = sqlite3_column_bytes(st, 0);
	if (js == NULL || (*text = strndup(js, (size_t)n)) == NULL) {
		err = GH_ERR_NOMEM;
		goto out;
	}
	*len = (size_t)n;
	*version = sqlite3_column_int64(st, 1);
	err = GH_OK;
out:
	sq_done(st);
	return err;
}

/*
 * Runs a write statement that returns the new version in its one row; no
 * row means its condition failed.  Steps to the end so that the commit (in
 * autocommit mode) has happened, and succeeded, before we answer.
 */
static enum gh_err
sq_write(struct gh_store *s, sqlite3_stmt *st, int64_t *version)
{
	int	 rc, rows = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*version = sqlite3_column_int64(st, 0);
		rows++;
	}
	if (rc != SQLITE_DONE)
		return sq_fail(s, rc, "write");
	return rows == 1 ? GH_OK : GH_ERR_CONFLICT;
}

static enum gh_err
sq_put(struct gh_store *s, enum gh_table t, json_object *item,
    const struct gh_cond *cond)
{
	sqlite3_stmt	*st = NULL;
	enum st		 which;
	enum gh_err	 err;
	int64_t		 version = 0;
	int		 rc;

	if (sq_get(s) == NULL)
		return GH_ERR_STORE;
	s->ops++;
	switch (cond->type) {
	case GH_COND_NOT_EXISTS:
		which = ST_PUT_NEW;
		break;
	case GH_COND_EXISTS:
	case GH_COND_VERSION:
		which = ST_PUT_OLD;
		break;
	default:
		which = ST_PUT;
		break;
	}
	if ((err = sq_stmt(s, t, which, &st)) != GH_OK)
		return err;
	if ((rc = bind_item(st, item, gh_store_now())) != SQLITE_OK ||
	    (cond->type == GH_COND_VERSION &&
	    (rc = sqlite3_bind_int64(st, 12, cond->version)) != SQLITE_OK)) {
		err = sq_fail(s, rc, "put");
		goto out;
	}
	if ((err = sq_write(s, st, &version)) != GH_OK)
		goto out;
	sq_done(st);
	st = NULL;
	if ((err = gh_json_add_int(item, "version", version)) != GH_OK)
		goto out;
	sq_sweep(s);
out:
	sq_done(st);
	return err;
}

/* Adds b to the integer attribute name of item (absent: 0). */
static enum gh_err
add_int(struct gh_store *s, json_object *item, const char *name,
    json_object *add)
{
	json_object	*v, *nv;
	int64_t		 a = 0, sum;

	if (json_object_object_get_ex(item, name, &v)) {
		if (!json_object_is_type(v, json_type_int))
			return gh_store_fail(s, GH_ERR_INVAL,
			    "update add %s: attribute is not an integer",
			    name);
		a = json_object_get_int64(v);
	}
	if (__builtin_add_overflow(a, json_object_get_int64(add), &sum))
		return gh_store_fail(s, GH_ERR_INVAL,
		    "update add %s: overflow", name);
	if ((nv = json_object_new_int64(sum)) == NULL)
		return GH_ERR_NOMEM;
	if (json_object_object_add(item, name, nv) != 0) {
		json_object_put(nv);
		return GH_ERR_NOMEM;
	}
	return GH_OK;
}

/* Builds the updated item from the old one (or a new one). */
static enum gh_err
apply_update(struct gh_store *s, json_object *item, const struct gh_update *u)
{
	json_object	*copy;
	enum gh_err	 err;
	size_t		 i;

	if (u->set != NULL) {
		json_object_object_foreach(u->set, name, val) {
			copy = NULL;
			if (val != NULL &&
			    json_object_deep_copy(val, &copy, NULL) != 0)
				return GH_ERR_NOMEM;
			if (json_object_object_add(item, name, copy) != 0) {
				json_object_put(copy);
				return GH_ERR_NOMEM;
			}
		}
	}
	for (i = 0; i < u->nremove; i++)
		json_object_object_del(item, u->remove[i]);
	if (u->add != NULL) {
		json_object_object_foreach(u->add, name, val)
			if ((err = add_int(s, item, name, val)) != GH_OK)
				return err;
	}
	return GH_OK;
}

static enum gh_err
sq_update(struct gh_store *s, enum gh_table t, const char *pk,
    const char *sk, const struct gh_update *u, const struct gh_cond *cond,
    json_object **out)
{
	sqlite3_stmt	*st = NULL;
	json_object	*item = NULL, *v;
	int64_t		 now, version = 0;
	enum gh_err	 err;
	int		 rc, found;

	if (sq_get(s) == NULL)
		return GH_ERR_STORE;
	s->ops++;
	if ((err = sq_tx(s, TX_BEGIN)) != GH_OK)
		return err;
	now = gh_store_now();
	err = sq_lookup(s, t, pk, sk, now, &item, &version);
	if (err != GH_OK && err != GH_ERR_NOTFOUND)
		goto out;
	found = err == GH_OK;
	err = GH_OK;
	if ((cond->type == GH_COND_NOT_EXISTS && found) ||
	    (cond->type == GH_COND_EXISTS && !found) ||
	    (cond->type == GH_COND_VERSION &&
	    (!found || version != cond->version))) {
		err = GH_ERR_CONFLICT;
		goto out;
	}
	if (!found) {
		err = GH_ERR_NOMEM;
		if ((item = json_object_new_object()) == NULL)
			goto out;
		if ((v = json_object_new_string(pk)) == NULL ||
		    json_object_object_add(item, "PK", v) != 0)
			goto out;
		if ((v = json_object_new_string(sk)) == NULL ||
		    json_object_object_add(item, "SK", v) != 0)
			goto out;
	}
	json_object_object_del(item, "version");
	if ((err = apply_update(s, item, u)) != GH_OK ||
	    (err = gh_store_check_item(s, item)) != GH_OK)
		goto out;
	/* The upsert gives version 1 over an absent or expired row. */
	if ((err = sq_stmt(s, t, ST_PUT, &st)) != GH_OK)
		goto out;
	if ((rc = bind_item(st, item, now)) != SQLITE_OK) {
		err = sq_fail(s, rc, "update");
		goto out;
	}
	if ((err = sq_write(s, st, &version)) != GH_OK)
		goto out;
	sq_done(st);
	st = NULL;
	if ((err = sq_tx(s, TX_COMMIT)) != GH_OK)
		goto out;
	if (out != NULL) {
		if ((err = gh_json_add_int(item, "version", version)) != GH_OK)
			goto out;	/* committed; only the copy failed */
		*out = item;
		item = NULL;
	}
	sq_sweep(s);
out:
	sq_done(st);
	if (err != GH_OK)
		sq_abort(s);
	json_object_put(item);
	return err;
}

static enum gh_err
sq_del(struct gh_store *s, enum gh_table t, const char *pk, const char *sk,
    const struct gh_cond *cond, json_object **out)
{
	sqlite3_stmt	*st = NULL;
	json_object	*item = NULL;
	int64_t		 now;
	enum gh_err	 err, cerr;
	int		 rc, tx = 0;

	if (sq_get(s) == NULL)
		return GH_ERR_STORE;
	s->ops++;
	now = gh_store_now();
	/* With a version, tell "absent" from "other version" atomically. */
	if (cond->type == GH_COND_VERSION) {
		if ((err = sq_tx(s, TX_BEGIN)) != GH_OK)
			return err;
		tx = 1;
	}
	if ((err = sq_stmt(s, t, ST_DELETE, &st)) != GH_OK)
		goto out;
	if ((rc = sqlite3_bind_text(st, 1, pk, -1, SQLITE_STATIC)) ||
	    (rc = sqlite3_bind_text(st, 2, sk, -1, SQLITE_STATIC)) ||
	    (rc = sqlite3_bind_int64(st, 3, now)) ||
	    (cond->type == GH_COND_VERSION &&
	    (rc = sqlite3_bind_int64(st, 12, cond->version)))) {
		err = sq_fail(s, rc, "delete");
		goto out;
	}
	err = GH_ERR_NOTFOUND;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (out != NULL && item == NULL &&
		    (err = sq_item(s, st, 0, &item)) != GH_OK)
			goto out;
		err = GH_OK;
	}
	if (rc != SQLITE_DONE) {
		err = sq_fail(s, rc, "delete");
		goto out;
	}
	sq_done(st);
	st = NULL;
	if (err == GH_ERR_NOTFOUND && tx &&
	    sq_lookup(s, t, pk, sk, now, NULL, NULL) == GH_OK)
		err = GH_ERR_CONFLICT;
	if (tx && (cerr = sq_tx(s, TX_COMMIT)) != GH_OK) {
		err = cerr;
		goto out;
	}
	if (err == GH_OK) {
		if (out != NULL) {
			*out = item;
			item = NULL;
		}
		sq_sweep(s);
	}
out:
	sq_done(st);
	if (err != GH_OK)
		sq_abort(s);	/* a no-op once committed */
	json_object_put(item);
	return err;
}

/*
 * The query statement for this shape, built and prepared on first use.
 * Parameters: ?1 index pk, ?2 sk1, ?3 now (LIVE), ?4 sk2 or the begins_with
 * upper bound, ?5 ?6 ?7 the resume key (index sk, pk, sk; base: ?5 = sk),
 * ?8 the row limit.  Columns: item, and version unless q->text (which
 * does not read it); the cursor's keys are read from the last item (see
 * set_last).
 */
static enum gh_err
sq_qstmt(struct gh_store *s, const struct gh_query *q, int resume,
    sqlite3_stmt **out)
{
	struct sq	*sq = s->impl;
	sqlite3_stmt	**slot;
	char		 sql[SQL_MAX], ipk[8], isk[8], cond[64] = "",
			 after[96] = "", order[64];
	const char	*dir = q->descending ? "DESC" : "ASC";
	const char	*cmp = q->descending ? "<" : ">";
	enum gh_err	 err;

	slot = &sq->q[q->table][q->index][q->skop][q->descending != 0][resume]
	    [q->text != 0];
	if (*slot != NULL) {
		*out = *slot;
		return GH_OK;
	}
	if (q->index == GH_INDEX_BASE) {
		snprintf(ipk, sizeof(ipk), "pk");
		snprintf(isk, sizeof(isk), "sk");
	} else {
		snprintf(ipk, sizeof(ipk), "gsi%dpk", (int)q->index);
		snprintf(isk, sizeof(isk), "gsi%dsk", (int)q->index);
	}
	switch (q->skop) {
	case GH_SK_EQ:
		snprintf(cond, sizeof(cond), " AND %s = ?2", isk);
		break;
	case GH_SK_BEGINS:	/* ?4 is ?2 followed by byte 0xff */
	case GH_SK_BETWEEN:
		snprintf(cond, sizeof(cond), " AND %s >= ?2 AND %s %s ?4", isk,
		    isk, q->skop == GH_SK_BEGINS ? "<" : "<=");
		break;
	case GH_SK_LT:
		snprintf(cond, sizeof(cond), " AND %s < ?2", isk);
		break;
	case GH_SK_LE:
		snprintf(cond, sizeof(cond), " AND %s <= ?2", isk);
		break;
	case GH_SK_GT:
		snprintf(cond, sizeof(cond), " AND %s > ?2", isk);
		break;
	case GH_SK_GE:
		snprintf(cond, sizeof(cond), " AND %s >= ?2", isk);
		break;
	default:
		break;
	}
	if (q->index == GH_INDEX_BASE) {
		if (resume)
			snprintf(after, sizeof(after), " AND sk %s ?5", cmp);
		snprintf(order, sizeof(order), "sk %s", dir);
	} else {
		if (resume)
			snprintf(after, sizeof(after),
			    " AND (%s, pk, sk) %s (?5, ?6, ?7)", isk, cmp);
		snprintf(order, sizeof(order), "%s %s, pk %s, sk %s", isk,
		    dir, dir, dir);
	}
	snprintf(sql, sizeof(sql), "SELECT item%s "
	    "FROM %s WHERE %s = ?1%s AND " LIVE "%s ORDER BY %s LIMIT ?8",
	    q->text ? "" : ", version", gh_table_names[q->table], ipk, cond,
	    after, order);
	if ((err = sq_prepare(s, slot, sql)) != GH_OK)
		return err;
	*out = *slot;
	return GH_OK;
}

/*
 * The cursor after the last item of a page: its PK and SK and, for a GSI
 * query, its index keys, read from the item itself (the columns are copies
 * of these attributes, and selecting them for every row measured ~1.8 k
 * instructions per 10-row page).  item is the parsed item or, with q->text,
 * its stored text as a JSON string, parsed here only if gh_json_text_strs
 * cannot read it (an escape in a key).
 */
static enum gh_err
set_last(struct gh_store *s, struct gh_cursor *last, const struct gh_query *q,
    json_object *item)
{
	struct sq	*sq = s->impl;
	const char	*keys[4] = { "PK", "SK", gh_index_pk[q->index],
			    gh_index_sk[q->index] };
	char		**dst[4] = { &last->pk, &last->sk, &last->ipk,
			    &last->isk };
	char		 b[4][GH_STORE_KEY_MAX + 1], *bufs[4] = { b[0], b[1],
			    b[2], b[3] };
	json_object	*parsed = NULL, *v;
	const char	*text;
	size_t		 i, nk = q->index == GH_INDEX_BASE ? 2 : 4;
	enum gh_err	 err = GH_OK;
	int		 found[4], len;

	gh_cursor_clear(last);
	if (q->text) {
		text = json_object_get_string(item);
		len = json_object_get_string_len(item);
		if (gh_json_text_strs(text, (size_t)len, keys, bufs,
		    sizeof(b[0]), found, nk) == 0) {
			for (i = 0; i < nk; i++)
				if (!found[i] || (*dst[i] = strdup(b[i])) ==
				    NULL)
					break;
			if (i == nk)
				goto out;
			gh_cursor_clear(last);
		}
		if (sq->tok == NULL && (sq->tok = json_tokener_new()) == NULL) {
			err = GH_ERR_NOMEM;
			goto out;
		}
		json_tokener_reset(sq->tok);
		if ((parsed = json_tokener_parse_ex(sq->tok, text, len)) ==
		    NULL || json_tokener_get_error(sq->tok) !=
		    json_tokener_success) {
			err = gh_store_fail(s, GH_ERR_STORE,
			    "sqlite: stored item is not a JSON object");
			goto out;
		}
		item = parsed;
	}
	for (i = 0; i < nk; i++) {
		if (!json_object_object_get_ex(item, keys[i], &v) ||
		    !json_object_is_type(v, json_type_string)) {
			err = gh_store_fail(s, GH_ERR_STORE,
			    "sqlite: stored item has no %s", keys[i]);
			goto out;
		}
		if ((*dst[i] = strdup(json_object_get_string(v))) == NULL) {
			err = GH_ERR_NOMEM;
			goto out;
		}
	}
out:
	json_object_put(parsed);
	return err;
}

static enum gh_err
sq_query(struct gh_store *s, const struct gh_query *q,
    const struct gh_cursor *start, json_object **items,
    struct gh_cursor *last, int *more)
{
	sqlite3_stmt	*st = NULL;
	json_object	*arr = NULL, *item;
	char		*upper = NULL;
	size_t		 n = 0, len;
	enum gh_err	 err;
	int		 rc, gsi = q->index != GH_INDEX_BASE;

	if (sq_get(s) == NULL)
		return GH_ERR_STORE;
	s->ops++;
	if ((err = sq_qstmt(s, q, start != NULL, &st)) != GH_OK)
		return err;
	err = GH_ERR_NOMEM;
	if ((arr = json_object_new_array()) == NULL)
		goto out;
	if (q->skop == GH_SK_BEGINS) {
		len = strlen(q->sk1);
		if ((upper = malloc(len + 2)) == NULL)
			goto out;
		memcpy(upper, q->sk1, len);
		upper[len] = '\xff';
		upper[len + 1] = '\0';
	}
	rc = sqlite3_bind_text(st, 1, q->pk, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK && q->sk1 != NULL)
		rc = sqlite3_bind_text(st, 2, q->sk1, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, gh_store_now());
	if (rc == SQLITE_OK && upper != NULL)
		rc = sqlite3_bind_text(st, 4, upper, -1, SQLITE_STATIC);
	else if (rc == SQLITE_OK && q->skop == GH_SK_BETWEEN)
		rc = sqlite3_bind_text(st, 4, q->sk2, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK && start != NULL && !gsi)
		rc = sqlite3_bind_text(st, 5, start->sk, -1, SQLITE_STATIC);
	else if (rc == SQLITE_OK && start != NULL) {
		if ((rc = sqlite3_bind_text(st, 5, start->isk, -1,
		    SQLITE_STATIC)) == SQLITE_OK &&
		    (rc = sqlite3_bind_text(st, 6, start->pk, -1,
		    SQLITE_STATIC)) == SQLITE_OK)
			rc = sqlite3_bind_text(st, 7, start->sk, -1,
			    SQLITE_STATIC);
	}
	/* One row more than the page tells whether another page follows. */
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 8, (int64_t)q->limit + 1);
	if (rc != SQLITE_OK) {
		err = sq_fail(s, rc, "query");
		goto out;
	}
	*more = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == q->limit) {
			*more = 1;
			break;
		}
		if (q->text) {
			/* The stored text as it is: no parse, no version. */
			const char *text = (const char *)sqlite3_column_text(st, 0);

			if (text == NULL || (item = json_object_new_string_len(text,
			    sqlite3_column_bytes(st, 0))) == NULL) {
				err = GH_ERR_NOMEM;
				goto out;
			}
		} else if ((err = sq_item(s, st, 0, &item)) != GH_OK)
			goto out;
		if (json_object_array_add(arr, item) != 0) {
			json_object_put(item);
			err = GH_ERR_NOMEM;
			goto out;
		}
		n++;
		if (n == q->limit &&
		    (err = set_last(s, last, q, item)) != GH_OK)
			goto out;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		err = sq_fail(s, rc, "query");
		goto out;
	}
	if (!*more)
		gh_cursor_clear(last);
	*items = arr;
	arr = NULL;
	err = GH_OK;
out:
	sq_done(st);
	free(upper);
	json_object_put(arr);
	return err;
}

static enum gh_err
sq_batch_get(struct gh_store *s, enum gh_table t, const struct gh_key *keys,
    size_t n, json_object **out)
{
	struct sq	*sq;
	json_object	*arr = NULL, *item;
	int64_t		 now;
	enum gh_err	 err;
	size_t		 i;
	int		 own;

	if ((sq = sq_get(s)) == NULL)
		return GH_ERR_STORE;
	s->ops++;
	if ((arr = json_object_new_array()) == NULL)
		return GH_ERR_NOMEM;
	/* One read transaction: one snapshot for the whole batch (inside a
	 * request's snapshot, that one). */
	own = sqlite3_get_autocommit(sq->db);
	if (own && (err = sq_tx(s, TX_BEGIN_READ)) != GH_OK)
		goto out;
	now = gh_store_now();
	for (i = 0; i < n; i++) {
		item = NULL;
		err = sq_lookup(s, t, keys[i].pk, keys[i].sk, now, &item, NULL);
		if (err == GH_ERR_NOTFOUND)
			continue;
		if (err != GH_OK)
			goto out;
		if (json_object_array_add(arr, item) != 0) {
			json_object_put(item);
			err = GH_ERR_NOMEM;
			goto out;
		}
	}
	if (own && (err = sq_tx(s, TX_COMMIT)) != GH_OK)
		goto out;
	*out = arr;
	arr = NULL;
out:
	if (err != GH_OK)
		sq_abort(s);
	json_object_put(arr);
	return err;
}

/*
 * gh_store_snapshot_begin/_end: a deferred BEGIN takes no lock until the
 * first read, which then holds one WAL read lock until COMMIT.  A failure
 * here only costs the snapshot: the reads run each in its own transaction
 * as without one.  A read that fails inside rolls it back (sq_abort), so at
 * the end there may be nothing left to commit.
 */
static void
sq_snapshot(struct gh_store *s, int on)
{
	struct sq	*sq;

	if ((sq = sq_get(s)) == NULL)
		return;
	if (on) {
		if (sqlite3_get_autocommit(sq->db))
			(void)sq_tx(s, TX_BEGIN_READ);
	} else if (!sqlite3_get_autocommit(sq->db) &&
	    sq_tx(s, TX_COMMIT) != GH_OK)
		sq_abort(s);
}

const struct gh_store_backend gh_store_sqlite = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.ping = sq_ping,
	.get = sq_get_item,
	.put = sq_put,
	.update = sq_update,
	.del = sq_del,
	.query = sq_query,
	.batch_get = sq_batch_get,
	.get_text = sq_get_text,
	.text_items = 1,
	.snapshot = sq_snapshot,
};
