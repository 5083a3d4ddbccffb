/*
 * gh_store.h: the storage interface, one API over two backends.
 *
 * The model is DynamoDB's, so the DynamoDB backend maps one to one and the
 * SQLite backend (the default) mirrors it on one file.  There are two tables:
 * GH_TABLE_MAIN, the single-table design of the seeds, and GH_TABLE_ORDERS.
 *
 * An item is a json-c object.  Its string attributes "PK" and "SK" are the
 * primary key.  Reserved attributes, all optional:
 *   "GSI1PK"/"GSI1SK" .. "GSI3PK"/"GSI3SK"  strings: the item's keys in the
 *            overloaded secondary indexes GH_INDEX_GSI1..3 (an item lacking
 *            either key attribute of an index is not in it, as in DynamoDB);
 *   "expires_at"  integer, Unix seconds: from that second on the item is
 *            absent to every read, condition and delete, swept or not
 *            (DynamoDB's TTL attribute);
 *   "version"  integer maintained by the store: every write sets it to the
 *            previous version + 1 (1 for a new item); GH_COND_VERSION
 *            compares against it.
 * Other attributes hold any JSON value.  Integers stay integers.
 *
 * Ownership: the store never takes ownership of objects passed in; objects
 * passed out (*out) belong to the caller (json_object_put / gh_page_free).
 * All functions return GH_OK or an error; on error the outputs are
 * untouched.  gh_store_errmsg() keeps the backend's last message.  A NULL
 * cond means GH_COND_NONE.  Key values are 1..GH_STORE_KEY_MAX bytes of
 * UTF-8; an expired item is absent to writes too (a put or update over it
 * starts a new item, version 1, without its old attributes).
 *
 * Errors common to all operations: GH_ERR_INVAL (bad key, bad cursor,
 * item too large), GH_ERR_STORE (backend failed), GH_ERR_THROTTLED,
 * GH_ERR_NOMEM.
 */
#ifndef GH_STORE_H
#define GH_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "gh_err.h"

struct gh_conf;
struct gh_store;

enum gh_table {
	GH_TABLE_MAIN = 0,
	GH_TABLE_ORDERS,
	GH_TABLE__MAX
};

enum gh_index {
	GH_INDEX_BASE = 0,	/* the table's own PK/SK */
	GH_INDEX_GSI1,
	GH_INDEX_GSI2,
	GH_INDEX_GSI3,
	GH_INDEX__MAX
};

/* Names as used in DynamoDB and the SQLite schema. */
extern const char *const gh_table_names[GH_TABLE__MAX];	/* logical */
extern const char *const gh_index_names[GH_INDEX__MAX];	/* "", "GSI1".. */
extern const char *const gh_index_pk[GH_INDEX__MAX];	/* "PK", "GSI1PK".. */
extern const char *const gh_index_sk[GH_INDEX__MAX];	/* "SK", "GSI1SK".. */

/* Limits every backend enforces identically (DynamoDB's, rounded down). */
#define GH_STORE_KEY_MAX	1024	/* bytes in a PK/SK value */
#define GH_STORE_ITEM_MAX	(350 * 1024) /* bytes of the item as JSON */
#define GH_STORE_PAGE_MAX	100	/* items in one query page */
#define GH_STORE_BATCH_MAX	100	/* keys in one batch get */

enum gh_cond_type {
	GH_COND_NONE = 0,	/* unconditional */
	GH_COND_NOT_EXISTS,	/* no live item has this key */
	GH_COND_EXISTS,		/* a live item has this key */
	GH_COND_VERSION,	/* a live item with version == .version */
	GH_COND__MAX
};

struct gh_cond {
	enum gh_cond_type type;
	int64_t		  version;
};

/* Sort-key conditions of a query. */
enum gh_skop {
	GH_SK_ANY = 0,
	GH_SK_EQ,
	GH_SK_BEGINS,		/* begins_with(sk, sk1) */
	GH_SK_BETWEEN,		/* sk1 <= sk <= sk2 */
	GH_SK_LT,
	GH_SK_LE,
	GH_SK_GT,
	GH_SK_GE,
	GH_SK__MAX
};

struct gh_query {
	enum gh_table	 table;
	enum gh_index	 index;
	const char	*pk;		/* value of the index's partition key */
	enum gh_skop	 skop;
	const char	*sk1;
	const char	*sk2;		/* GH_SK_BETWEEN only */
	int		 descending;	/* newest first when SKs sort by time */
	size_t		 limit;		/* 1..GH_STORE_PAGE_MAX; 0 = max */
	const char	*cursor;	/* from a previous gh_page, or NULL */
	/*
	 * 1: page.items holds JSON strings, each an item's attributes as
	 * compact JSON text (json-c's plain form, without "version"), for a
	 * caller that copies items into a reply without looking at them.
	 */
	int		 text;
};

/*
 * Queries on the base table see every write that returned before them.
 * Index (GSI) queries may lag writes briefly on DynamoDB, whose GSIs are
 * eventually consistent (SQLite and dynalite update them at once): do not
 * use an index query to check what a write just did.
 */

/*
 * One page of a query.  items is a json array (owned); cursor is NULL when
 * the query is exhausted, otherwise an opaque base64url string (owned) that
 * resumes after the last key examined.  As in DynamoDB, a page may hold
 * fewer than limit items (expired ones are skipped) and still carry a cursor.
 * A cursor only resumes the query that made it: any other is GH_ERR_INVAL.
 */
struct gh_page {
	json_object	*items;
	char		*cursor;
};

struct gh_key {
	const char	*pk;
	const char	*sk;
};

/*
 * An update: attributes to set (an object; may be NULL), attributes to
 * remove, and integer attributes to add to (an object of name -> integer;
 * an absent attribute counts as 0).  An update of an absent item creates it
 * (DynamoDB's UpdateItem) unless the condition says otherwise.  Key and
 * reserved attributes ("PK", "SK", "version") cannot be set or removed.
 */
struct gh_update {
	json_object		*set;
	const char *const	*remove;
	size_t			 nremove;
	json_object		*add;
};

/* Opens the backend the configuration names; *out owned, gh_store_free. */
enum gh_err	 gh_store_open(const struct gh_conf *conf, struct gh_store **out);
void		 gh_store_free(struct gh_store *s);	/* NULL ok */

/* The backend's last error message ("" if none); owned by s.  With s NULL:
 * why the last gh_store_open failed (static, not thread-safe). */
const char	*gh_store_errmsg(const struct gh_store *s);

/* Backend requests made since the last reset (DynamoDB calls, SQL txns). */
unsigned	 gh_store_ops(const struct gh_store *s);
void		 gh_store_ops_reset(struct gh_store *s);

/* Cheap reachability check for /api/health. */
enum gh_err	 gh_store_ping(struct gh_store *s);

/* GH_ERR_NOTFOUND if there is no live item. */
enum gh_err	 gh_store_get(struct gh_store *s, enum gh_table t,
		    const char *pk, const char *sk, json_object **out);

/*
 * Writes item whole (replacing any old one) if cond holds, else
 * GH_ERR_CONFLICT.  On success sets item's "version" to the stored version.
 */
enum gh_err	 gh_store_put(struct gh_store *s, enum gh_table t,
		    json_object *item, const struct gh_cond *cond);

/* Applies u if cond holds (else GH_ERR_CONFLICT); *out (may be NULL) gets
 * the item as stored afterwards. */
enum gh_err	 gh_store_update(struct gh_store *s, enum gh_table t,
		    const char *pk, const char *sk, const struct gh_update *u,
		    const struct gh_cond *cond, json_object **out);

/*
 * Deletes the live item if cond holds and returns it in *out (may be NULL),
 * atomically: of concurrent deletes of one item exactly one gets GH_OK,
 * the others GH_ERR_NOTFOUND.  GH_ERR_NOTFOUND if no live item;
 * GH_ERR_CONFLICT if cond fails (GH_COND_NOT_EXISTS: GH_ERR_INVAL).
 */
enum gh_err	 gh_store_delete(struct gh_store *s, enum gh_table t,
		    const char *pk, const char *sk, const struct gh_cond *cond,
		    json_object **out);

/*
 * gh_store_get as text: *text (malloc'd, NUL-terminated, free()) holds the
 * item's attributes as compact JSON (json-c's plain form) without
 * "version", *len its length, *version the version; for a caller that only
 * reads a member or two (gh_json_text_str) and parses only if it must.
 */
enum gh_err	 gh_store_get_text(struct gh_store *s, enum gh_table t,
		    const char *pk, const char *sk, char **text, size_t *len,
		    int64_t *version);

enum gh_err	 gh_store_query(struct gh_store *s, const struct gh_query *q,
		    struct gh_page *out);
void		 gh_page_free(struct gh_page *p);	/* frees members */

/* Live items among keys[0..n) (n <= GH_STORE_BATCH_MAX) as a json array,
 * in no particular order; absent keys are simply missing.  A key given
 * twice is GH_ERR_INVAL (as in DynamoDB). */
enum gh_err	 gh_store_batch_get(struct gh_store *s, enum gh_table t,
		    const struct gh_key *keys, size_t n, json_object **out);

/*
 * A read snapshot: the reads from gh_store_snapshot_begin to
 * gh_store_snapshot_end see one consistent state of the store.  With SQLite
 * it is one read transaction (one lock for all the reads of a request
 * instead of one per statement); with DynamoDB, whose reads are each their
 * own, nothing.  A write ends the snapshot first, so a write inside one
 * behaves as without it.  gh_handle opens one around every GET request of a
 * route that uses the store.  Both take NULL; end without begin is a no-op.
 */
void		 gh_store_snapshot_begin(struct gh_store *s);
void		 gh_store_snapshot_end(struct gh_store *s);

#endif /* GH_STORE_H */
