/*
 * test-store.c: the storage conformance suite.  Every backend must pass it
 * unchanged.
 *
 * It opens the store from $GATEHOUSE_CONFIG when set (so the same program
 * runs against DynamoDB/dynalite), otherwise from a throwaway configuration
 * naming a fresh SQLite file in a temporary directory.  Every key carries a
 * prefix unique to the run, so a shared store is fine; the items the suite
 * wrote are deleted at the end.
 *
 * What a backend may do differently is left open: the order of items whose
 * index sort keys tie, the order of batch results, and whether a last page
 * still carries a cursor.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "gh_conf.h"
#include "gh_store.h"
#include "tests.h"

#define NPROC_INC	8	/* processes incrementing one counter */
#define NINC		50	/* increments each */
#define NPROC_RACE	20	/* processes racing for one item */

static struct gh_conf	*conf;
static struct gh_store	*s;
static char		 pfx[64];	/* unique to this run */
static char		 tmpdir[64];	/* ours, if we made the config */
static int64_t		 now;

/* Every key written, for the final cleanup. */
static struct tracked {
	enum gh_table	 t;
	char		*pk, *sk;
} *tracked;
static size_t		 ntracked, maxtracked;

static void
track(enum gh_table t, const char *pk, const char *sk)
{
	struct tracked	*p;

	if (ntracked == maxtracked) {
		maxtracked = maxtracked ? 2 * maxtracked : 256;
		if ((p = realloc(tracked, maxtracked * sizeof(*p))) == NULL)
			abort();
		tracked = p;
	}
	tracked[ntracked].t = t;
	if ((tracked[ntracked].pk = strdup(pk)) == NULL ||
	    (tracked[ntracked].sk = strdup(sk)) == NULL)
		abort();
	ntracked++;
}

/* A JSON value from printf-style text; aborts on bad JSON (a test bug). */
static json_object *
J(const char *fmt, ...)
{
	va_list		 ap;
	char		*txt;
	json_object	*o;

	va_start(ap, fmt);
	if (vasprintf(&txt, fmt, ap) < 0)
		abort();
	va_end(ap);
	if ((o = json_tokener_parse(txt)) == NULL) {
		fprintf(stderr, "bad test JSON: %s\n", txt);
		abort();
	}
	free(txt);
	return o;
}

static int64_t
geti(json_object *o, const char *name)
{
	json_object	*v;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -999999;
	return json_object_get_int64(v);
}

static const char *
gets_(json_object *o, const char *name)
{
	json_object	*v;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static int
has(json_object *o, const char *name)
{
	return json_object_object_get_ex(o, name, NULL);
}

/* Puts an item given as JSON text, tracking its key; returns the error. */
static enum gh_err
putj(enum gh_table t, const struct gh_cond *c, int64_t *version,
    const char *fmt, ...)
{
	va_list		 ap;
	char		*txt;
	json_object	*o;
	enum gh_err	 err;

	va_start(ap, fmt);
	if (vasprintf(&txt, fmt, ap) < 0)
		abort();
	va_end(ap);
	if ((o = json_tokener_parse(txt)) == NULL) {
		fprintf(stderr, "bad test JSON: %s\n", txt);
		abort();
	}
	free(txt);
	track(t, gets_(o, "PK"), gets_(o, "SK"));
	err = gh_store_put(s, t, o, c);
	if (version != NULL)
		*version = err == GH_OK ? geti(o, "version") : -1;
	json_object_put(o);
	return err;
}

static char *
K(char *buf, size_t sz, const char *suffix)
{
	snprintf(buf, sz, "%s%s", pfx, suffix);
	return buf;
}

static const struct gh_cond c_none = { GH_COND_NONE, 0 };
static const struct gh_cond c_new = { GH_COND_NOT_EXISTS, 0 };
static const struct gh_cond c_old = { GH_COND_EXISTS, 0 };

static struct gh_cond
c_ver(int64_t v)
{
	struct gh_cond	 c = { GH_COND_VERSION, v };

	return c;
}

/* ------------------------------------------------------------------ */

static void
test_get_put(void)
{
	char		 pk[128], pk2[128];
	json_object	*item, *got = NULL, *sentinel = (json_object *)&now;
	int64_t		 v;

	K(pk, sizeof(pk), "gp");
	K(pk2, sizeof(pk2), "gp2");
	got = sentinel;
	T(gh_store_get(s, GH_TABLE_MAIN, pk, "a", &got) == GH_ERR_NOTFOUND &&
	    got == sentinel, "get of an absent item: not found, out untouched");

	item = J("{\"PK\":\"%s\",\"SK\":\"a\",\"name\":\"\\u00e9t\\u00e9 "
	    "\\u2713 \\ud83d\\ude00\",\"n\":5,\"big\":9007199254740993,"
	    "\"neg\":-42,\"f\":1.5,\"b\":true,\"nul\":null,"
	    "\"nested\":{\"a\":[1,\"two\",{\"three\":3}],\"e\":{}},"
	    "\"empty\":\"\",\"list\":[]}", pk);
	track(GH_TABLE_MAIN, pk, "a");
	T(gh_store_put(s, GH_TABLE_MAIN, item, &c_none) == GH_OK &&
	    geti(item, "version") == 1, "put of a new item: version 1");
	T(gh_store_get(s, GH_TABLE_MAIN, pk, "a", &got) == GH_OK,
	    "get after put");
	T(got != NULL && json_object_equal(item, got),
	    "get returns the item as put (with its version): %s",
	    got ? json_object_to_json_string(got) : "(null)");
	T(got != NULL && json_object_is_type(json_object_object_get(got, "n"),
	    json_type_int) && geti(got, "big") == 9007199254740993LL &&
	    json_object_is_type(json_object_object_get(got, "f"),
	    json_type_double), "integers stay integers, doubles doubles");
	json_object_put(got);
	got = NULL;

	json_object_object_add(item, "name", json_object_new_string("x"));
	T(gh_store_put(s, GH_TABLE_MAIN, item, NULL) == GH_OK &&
	    geti(item, "version") == 2, "put over it: version 2");
	/* A stale "version" in the item is not trusted. */
	json_object_object_add(item, "version", json_object_new_int(77));
	T(gh_store_put(s, GH_TABLE_MAIN, item, NULL) == GH_OK &&
	    geti(item, "version") == 3, "put ignores the item's own version");
	T(gh_store_get(s, GH_TABLE_MAIN, pk, "a", &got) == GH_OK &&
	    strcmp(gets_(got, "name"), "x") == 0 && geti(got, "version") == 3,
	    "get sees the last put");
	json_object_put(got);
	got = NULL;
	json_object_put(item);

	/* Put replaces the whole item. */
	T(putj(GH_TABLE_MAIN, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"a\","
	    "\"only\":1}", pk) == GH_OK && v == 4, "put replaces: version 4");
	T(gh_store_get(s, GH_TABLE_MAIN, pk, "a", &got) == GH_OK &&
	    !has(got, "name") && !has(got, "nested") && geti(got, "only") == 1,
	    "put replaces the whole item");
	json_object_put(got);
	got = NULL;

	/* Tables are separate; sort keys too. */
	T(gh_store_get(s, GH_TABLE_ORDERS, pk, "a", &got) == GH_ERR_NOTFOUND,
	    "same key in orders: absent");
	T(putj(GH_TABLE_ORDERS, &c_new, &v, "{\"PK\":\"%s\",\"SK\":\"a\","
	    "\"o\":1}", pk) == GH_OK && v == 1, "put into orders: version 1");
	T(gh_store_get(s, GH_TABLE_ORDERS, pk, "a", &got) == GH_OK &&
	    geti(got, "o") == 1 && !has(got, "only"), "orders item is its own");
	json_object_put(got);
	got = NULL;
	T(gh_store_get(s, GH_TABLE_MAIN, pk, "b", &got) == GH_ERR_NOTFOUND &&
	    gh_store_get(s, GH_TABLE_MAIN, pk2, "a", &got) == GH_ERR_NOTFOUND,
	    "other sort key, other partition: absent");
}

static void
test_put_conditions(void)
{
	char		 pk[128];
	json_object	*item, *got = NULL;
	struct gh_cond	 c;
	int64_t		 v;

	K(pk, sizeof(pk), "pc");
	T(putj(GH_TABLE_MAIN, &c_old, &v, "{\"PK\":\"%s\",\"SK\":\"s\"}", pk) ==
	    GH_ERR_CONFLICT, "put EXISTS of an absent item: conflict");
	c = c_ver(1);
	T(putj(GH_TABLE_MAIN, &c, &v, "{\"PK\":\"%s\",\"SK\":\"s\"}", pk) ==
	    GH_ERR_CONFLICT, "put VERSION of an absent item: conflict");
	T(gh_store_get(s, GH_TABLE_MAIN, pk, "s", &got) == GH_ERR_NOTFOUND,
	    "failed puts wrote nothing");
	T(putj(GH_TABLE_MAIN, &c_new, &v, "{\"PK\":\"%s\",\"SK\":\"s\","
	    "\"w\":\"first\"}", pk) == GH_OK && v == 1,
	    "put NOT_EXISTS of an absent item: ok, version 1");

	item = J("{\"PK\":\"%s\",\"SK\":\"s\",\"w\":\"second\",\"version\":5}",
	    pk);
	T(gh_store_put(s, GH_TABLE_MAIN, item, &c_new) == GH_ERR_CONFLICT &&
	    geti(item, "version") == 5,
	    "put NOT_EXISTS over a live item: conflict, item untouched");
	json_object_put(item);
	T(gh_store_get(s, GH_TABLE_MAIN, pk, "s", &got) == GH_OK &&
	    strcmp(gets_(got, "w"), "first") == 0,
	    "the conflicting put changed nothing");
	json_object_put(got);
	got = NULL;

	T(putj(GH_TABLE_MAIN, &c_old, &v, "{\"PK\":\"%s\",\"SK\":\"s\","
	    "\"w\":\"third\"}", pk) == GH_OK && v == 2,
	    "put EXISTS of a live item: ok, version 2");
	c = c_ver(2);
	T(putj(GH_TABLE_MAIN, &c, &v, "{\"PK\":\"%s\",\"SK\":\"s\","
	    "\"w\":\"fourth\"}", pk) == GH_OK && v == 3,
	    "put VERSION 2 at version 2: ok, version 3");
	T(putj(GH_TABLE_MAIN, &c, &v, "{\"PK\":\"%s\",\"SK\":\"s\","
	    "\"w\":\"fifth\"}", pk) == GH_ERR_CONFLICT,
	    "put VERSION 2 at version 3: conflict");
	c = c_ver(4);
	T(putj(GH_TABLE_MAIN, &c, &v, "{\"PK\":\"%s\",\"SK\":\"s\","
	    "\"w\":\"sixth\"}", pk) == GH_ERR_CONFLICT,
	    "put VERSION 4 at version 3: conflict");
	T(gh_store_get(s, GH_TABLE_MAIN, pk, "s", &got) == GH_OK &&
	    strcmp(gets_(got, "w"), "fourth") == 0 && geti(got, "version") == 3,
	    "only the matching puts were applied");
	json_object_put(got);
}

static void
test_update(void)
{
	char		 pk[128];
	json_object	*set, *add, *got = NULL, *out = NULL;
	struct gh_update u;
	struct gh_cond	 c;
	const char	*rm[2];

	K(pk, sizeof(pk), "up");
	track(GH_TABLE_MAIN, pk, "u");
	memset(&u, 0, sizeof(u));

	/* Condition failures first: nothing may be created. */
	set = J("{\"a\":1}");
	u.set = set;
	T(gh_store_update(s, GH_TABLE_MAIN, pk, "u", &u, &c_old, &out) ==
	    GH_ERR_CONFLICT && out == NULL,
	    "update EXISTS of an absent item: conflict");
	c = c_ver(1);
	T(gh_store_update(s, GH_TABLE_MAIN, pk, "u", &u, &c, NULL) ==
	    GH_ERR_CONFLICT, "update VERSION of an absent item: conflict");
	T(gh_store_get(s, GH_TABLE_MAIN, pk, "u", &got) == GH_ERR_NOTFOUND,
	    "failed updates created nothing");
	json_object_put(set);

	/* Upsert. */
	set = J("{\"a\":1,\"keep\":{\"deep\":[1,2,3]},\"s\":\"str\"}");
	add = J("{\"cnt\":5}");
	u.set = set;
	u.add = add;
	T(gh_store_update(s, GH_TABLE_MAIN, pk, "u", &u, &c_new, &out) ==
	    GH_OK, "update NOT_EXISTS of an absent item creates it");
	T(out != NULL && strcmp(gets_(out, "PK"), pk) == 0 &&
	    strcmp(gets_(out, "SK"), "u") == 0 && geti(out, "a") == 1 &&
	    geti(out, "cnt") == 5 && geti(out, "version") == 1,
	    "upserted item: keys, set, add from 0, version 1: %s",
	    out ? json_object_to_json_string(out) : "(null)");
	T(gh_store_get(s, GH_TABLE_MAIN, pk, "u", &got) == GH_OK &&
	    out != NULL && json_object_equal(got, out),
	    "update's out equals what get returns");
	json_object_put(got);
	json_object_put(out);
	got = out = NULL;
	T(gh_store_update(s, GH_TABLE_MAIN, pk, "u", &u, &c_new, NULL) ==
	    GH_ERR_CONFLICT, "update NOT_EXISTS of a live item: conflict");
	json_object_put(set);
	json_object_put(add);

	/* Set, remove, add together. */
	set = J("{\"b\":\"bee\",\"s\":null}");
	add = J("{\"cnt\":-7,\"other\":3}");
	rm[0] = "a";
	rm[1] = "absent-attr";
	u.set = set;
	u.add = add;
	u.remove = rm;
	u.nremove = 2;
	c = c_ver(1);
	T(gh_store_update(s, GH_TABLE_MAIN, pk, "u", &u, &c, &out) == GH_OK &&
	    out != NULL, "update VERSION 1 at version 1: ok");
	T(out != NULL && !has(out, "a") && strcmp(gets_(out, "b"), "bee") == 0 &&
	    has(out, "s") && json_object_object_get(out, "s") == NULL &&
	    geti(out, "cnt") == -2 && geti(out, "other") == 3 &&
	    geti(out, "version") == 2 && has(out, "keep"),
	    "set, remove, add applied; untouched attributes kept: %s",
	    out ? json_object_to_json_string(out) : "(null)");
	json_object_put(out);
	out = NULL;
	T(gh_store_update(s, GH_TABLE_MAIN, pk, "u", &u, &c, NULL) ==
	    GH_ERR_CONFLICT, "update VERSION 1 at version 2: conflict");
	json_object_put(set);
	json_object_put(add);

	/* Unconditional, and EXISTS. */
	memset(&u, 0, sizeof(u));
	add = J("{\"cnt\":10}");
	u.add = add;
	T(gh_store_update(s, GH_TABLE_MAIN, pk, "u", &u, NULL, NULL) == GH_OK,
	    "unconditional update");
	T(gh_store_update(s, GH_TABLE_MAIN, pk, "u", &u, &c_old, &out) ==
	    GH_OK && geti(out, "cnt") == 18 && geti(out, "version") == 4,
	    "update EXISTS of a live item: ok, adds accumulate, version 4");
	json_object_put(out);
	out = NULL;
	json_object_put(add);

	/* Adding to a string is refused and changes nothing. */
	add = J("{\"b\":1}");
	u.add = add;
	T(gh_store_update(s, GH_TABLE_MAIN, pk, "u", &u, NULL, NULL) ==
	    GH_ERR_INVAL, "add to a string attribute: invalid");
	json_object_put(add);
	T(gh_store_get(s, GH_TABLE_MAIN, pk, "u", &got) == GH_OK &&
	    geti(got, "version") == 4 && strcmp(gets_(got, "b"), "bee") == 0,
	    "the refused update changed nothing");
	json_object_put(got);
	got = NULL;

	/* An empty update touches the item (version only). */
	memset(&u, 0, sizeof(u));
	T(gh_store_update(s, GH_TABLE_MAIN, pk, "u", &u, NULL, &out) == GH_OK &&
	    geti(out, "version") == 5 && geti(out, "cnt") == 18,
	    "empty update bumps the version only");
	json_object_put(out);
	out = NULL;

	/* Update can expire an item at once. */
	set = J("{\"expires_at\":%lld}", (long long)(now - 5));
	u.set = set;
	T(gh_store_update(s, GH_TABLE_MAIN, pk, "u", &u, NULL, NULL) == GH_OK,
	    "update setting expires_at in the past");
	T(gh_store_get(s, GH_TABLE_MAIN, pk, "u", &got) == GH_ERR_NOTFOUND,
	    "the item is now absent");
	json_object_put(set);
}

static void
test_delete(void)
{
	char		 pk[128];
	json_object	*got = NULL, *sentinel = (json_object *)&now;
	struct gh_cond	 c;
	int64_t		 v;

	K(pk, sizeof(pk), "del");
	got = sentinel;
	T(gh_store_delete(s, GH_TABLE_MAIN, pk, "d", NULL, &got) ==
	    GH_ERR_NOTFOUND && got == sentinel,
	    "delete of an absent item: not found, out untouched");
	T(putj(GH_TABLE_MAIN, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"d\","
	    "\"x\":\"old\"}", pk) == GH_OK, "put");
	T(putj(GH_TABLE_MAIN, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"d\","
	    "\"x\":\"older\"}", pk) == GH_OK && v == 2, "put again");
	c = c_ver(1);
	T(gh_store_delete(s, GH_TABLE_MAIN, pk, "d", &c, &got) ==
	    GH_ERR_CONFLICT && got == sentinel,
	    "delete VERSION 1 at version 2: conflict");
	T(gh_store_get(s, GH_TABLE_MAIN, pk, "d", &got) == GH_OK, "still there");
	json_object_put(got);
	got = NULL;
	c = c_ver(2);
	T(gh_store_delete(s, GH_TABLE_MAIN, pk, "d", &c, &got) == GH_OK &&
	    got != NULL && strcmp(gets_(got, "x"), "older") == 0 &&
	    geti(got, "version") == 2 && strcmp(gets_(got, "PK"), pk) == 0,
	    "delete VERSION 2 at version 2 returns the item");
	json_object_put(got);
	got = NULL;
	T(gh_store_get(s, GH_TABLE_MAIN, pk, "d", &got) == GH_ERR_NOTFOUND,
	    "gone after delete");
	T(gh_store_delete(s, GH_TABLE_MAIN, pk, "d", NULL, NULL) ==
	    GH_ERR_NOTFOUND, "second delete: not found");
	c = c_ver(2);
	T(gh_store_delete(s, GH_TABLE_MAIN, pk, "d", &c, NULL) ==
	    GH_ERR_NOTFOUND, "delete VERSION of an absent item: not found");

	T(putj(GH_TABLE_MAIN, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"d\"}", pk) ==
	    GH_OK && v == 1, "put after delete: a new item, version 1");
	T(gh_store_delete(s, GH_TABLE_MAIN, pk, "d", &c_old, NULL) == GH_OK,
	    "delete EXISTS, out NULL");
	T(gh_store_delete(s, GH_TABLE_MAIN, pk, "d", &c_old, NULL) ==
	    GH_ERR_NOTFOUND, "delete EXISTS of an absent item: not found");
	T(gh_store_delete(s, GH_TABLE_MAIN, pk, "d", &c_new, NULL) ==
	    GH_ERR_INVAL, "delete NOT_EXISTS: invalid");
}

/* Pages through q with limit, returning all items in one array. */
static json_object *
query_all(struct gh_query *q, size_t limit, int *pages, enum gh_err *errp)
{
	struct gh_page	 pg;
	json_object	*all;
	char		*cursor = NULL;
	size_t		 i, n;
	enum gh_err	 err = GH_OK;

	all = json_object_new_array();
	*pages = 0;
	q->limit = limit;
	do {
		memset(&pg, 0, sizeof(pg));
		q->cursor = cursor;
		if ((err = gh_store_query(s, q, &pg)) != GH_OK)
			break;
		(*pages)++;
		n = json_object_array_length(pg.items);
		if (limit > 0 && n > limit)
			err = GH_ERR_INTERNAL;	/* page over the limit */
		for (i = 0; i < n; i++)
			json_object_array_add(all, json_object_get(
			    json_object_array_get_idx(pg.items, i)));
		free(cursor);
		cursor = pg.cursor;
		pg.cursor = NULL;
		gh_page_free(&pg);
	} while (cursor != NULL && err == GH_OK && *pages < 1000);
	free(cursor);
	q->cursor = NULL;
	*errp = err;
	return all;
}

struct skcase {
	enum gh_skop	 op;
	const char	*sk1, *sk2;
};

static const char *const skop_names[GH_SK__MAX] = {
	"any", "eq", "begins", "between", "lt", "le", "gt", "ge",
};

static int
sk_match(const char *v, const struct skcase *c)
{
	switch (c->op) {
	case GH_SK_ANY:
		return 1;
	case GH_SK_EQ:
		return strcmp(v, c->sk1) == 0;
	case GH_SK_BEGINS:
		return strncmp(v, c->sk1, strlen(c->sk1)) == 0;
	case GH_SK_BETWEEN:
		return strcmp(v, c->sk1) >= 0 && strcmp(v, c->sk2) <= 0;
	case GH_SK_LT:
		return strcmp(v, c->sk1) < 0;
	case GH_SK_LE:
		return strcmp(v, c->sk1) <= 0;
	case GH_SK_GT:
		return strcmp(v, c->sk1) > 0;
	case GH_SK_GE:
		return strcmp(v, c->sk1) >= 0;
	default:
		return 0;
	}
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Base table: every operator, both directions, several page sizes. */
static void
test_query_base(void)
{
	static const char *const sks[] = {
		"a", "b", "ba", "bb", "bc", "c", "d#1", "d#2", "d#10",
		"\xc3\xa9t\xc3\xa9", "\xc3\xa9z", "z",
	};
	static const struct skcase cases[] = {
		{ GH_SK_ANY, NULL, NULL },
		{ GH_SK_EQ, "ba", NULL },
		{ GH_SK_EQ, "nope", NULL },
		{ GH_SK_BEGINS, "b", NULL },
		{ GH_SK_BEGINS, "d#1", NULL },
		{ GH_SK_BEGINS, "\xc3\xa9", NULL },
		{ GH_SK_BEGINS, "zz", NULL },
		{ GH_SK_BETWEEN, "b", "c" },
		{ GH_SK_BETWEEN, "ba", "ba" },
		{ GH_SK_BETWEEN, "bb", "d#2" },
		{ GH_SK_LT, "b", NULL },
		{ GH_SK_LE, "b", NULL },
		{ GH_SK_GT, "c", NULL },
		{ GH_SK_GE, "c", NULL },
		{ GH_SK_GT, "z", NULL },
	};
	static const size_t limits[] = { 0, 1, 2, 5 };
	const size_t	 nsk = sizeof(sks) / sizeof(sks[0]);
	const char	*expect[32];
	char		 pk[128], other[128];
	struct gh_query	 q;
	json_object	*all;
	enum gh_err	 err;
	size_t		 i, j, k, n, li;
	int		 pages, ok, desc;
	int64_t		 v;

	K(pk, sizeof(pk), "qb");
	K(other, sizeof(other), "qb-other");
	for (i = 0; i < nsk; i++)
		putj(GH_TABLE_MAIN, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"%s\","
		    "\"i\":%zu}", pk, sks[i], i);
	/* Neighbours that must never show up. */
	putj(GH_TABLE_MAIN, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"b\"}", other);
	putj(GH_TABLE_ORDERS, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"b\"}", pk);
	putj(GH_TABLE_MAIN, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"bz\","
	    "\"expires_at\":%lld}", pk, (long long)(now - 1));

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	for (desc = 0; desc < 2; desc++)
	for (li = 0; li < sizeof(limits) / sizeof(limits[0]); li++) {
		n = 0;
		for (j = 0; j < nsk; j++)
			if (sk_match(sks[j], &cases[i]))
				expect[n++] = sks[j];
		qsort(expect, n, sizeof(expect[0]), cmpstr);
		memset(&q, 0, sizeof(q));
		q.table = GH_TABLE_MAIN;
		q.index = GH_INDEX_BASE;
		q.pk = pk;
		q.skop = cases[i].op;
		q.sk1 = cases[i].sk1;
		q.sk2 = cases[i].sk2;
		q.descending = desc;
		all = query_all(&q, limits[li], &pages, &err);
		ok = err == GH_OK && json_object_array_length(all) == n;
		for (k = 0; ok && k < n; k++)
			ok = strcmp(gets_(json_object_array_get_idx(all, k),
			    "SK"), expect[desc ? n - 1 - k : k]) == 0;
		T(ok, "base query %s %s%s%s, %s, limit %zu: %zu items in "
		    "order, %d pages (%s)", skop_names[cases[i].op],
		    cases[i].sk1 ? cases[i].sk1 : "",
		    cases[i].sk2 ? ".." : "", cases[i].sk2 ? cases[i].sk2 : "",
		    desc ? "desc" : "asc", limits[li], n, pages,
		    gh_strerror(err));
		json_object_put(all);
	}
}

/* One item of the GSI model. */
struct gsirow {
	const char	*isk, *pk, *sk;
};

static int
cmp_gsirow_key(const void *a, const void *b)
{
	const struct gsirow *x = a, *y = b;
	int		 c;

	if ((c = strcmp(x->pk, y->pk)) != 0)
		return c;
	return strcmp(x->sk, y->sk);
}

/*
 * Each GSI: items from several partitions share one index partition with
 * ties on the index sort key.  Ties may come back in any order; the
 * sequence of index sort keys, and the set of items, must be exact.
 */
static void
test_query_gsi(void)
{
	static const char *const isks[] = {
		"k1", "k1", "k1", "k2", "k3", "k3", "k4", "k4", "k4", "k4", "k5",
		"m", "m", "ma", "mb",
	};
	static const struct skcase cases[] = {
		{ GH_SK_ANY, NULL, NULL },
		{ GH_SK_EQ, "k4", NULL },
		{ GH_SK_BEGINS, "k", NULL },
		{ GH_SK_BEGINS, "m", NULL },
		{ GH_SK_BETWEEN, "k1", "k3" },
		{ GH_SK_LT, "k4", NULL },
		{ GH_SK_LE, "k4", NULL },
		{ GH_SK_GT, "k1", NULL },
		{ GH_SK_GE, "k4", NULL },
	};
	static const size_t limits[] = { 0, 1, 2, 3 };
	const size_t	 nrow = sizeof(isks) / sizeof(isks[0]);
	struct gsirow	 rows[32], exp[32], got[32];
	char		 pks[4][128], sks[32][16], gpk[128], gname[16];
	struct gh_query	 q;
	json_object	*all, *o;
	enum gh_err	 err;
	size_t		 i, j, k, n, li;
	int		 idx, pages, ok, desc;
	int64_t		 v;

	for (i = 0; i < 4; i++) {
		snprintf(gname, sizeof(gname), "qg-p%zu", i);
		K(pks[i], sizeof(pks[i]), gname);
	}
	for (idx = GH_INDEX_GSI1; idx < GH_INDEX__MAX; idx++) {
		snprintf(gname, sizeof(gname), "qg-g%d", idx);
		K(gpk, sizeof(gpk), gname);
		for (i = 0; i < nrow; i++) {
			snprintf(sks[i], sizeof(sks[i]), "g%d-%02zu", idx, i);
			rows[i].isk = isks[i];
			rows[i].pk = pks[i % 4];
			rows[i].sk = sks[i];
			putj(GH_TABLE_MAIN, NULL, &v, "{\"PK\":\"%s\","
			    "\"SK\":\"%s\",\"%s\":\"%s\",\"%s\":\"%s\","
			    "\"i\":%zu}", rows[i].pk, rows[i].sk,
			    gh_index_pk[idx], gpk, gh_index_sk[idx], isks[i], i);
		}
		/* Not in the index: no index SK; expired; other table. */
		putj(GH_TABLE_MAIN, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"g%d-nosk\","
		    "\"%s\":\"%s\"}", pks[0], idx, gh_index_pk[idx], gpk);
		putj(GH_TABLE_MAIN, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"g%d-exp\","
		    "\"%s\":\"%s\",\"%s\":\"k2\",\"expires_at\":%lld}", pks[1],
		    idx, gh_index_pk[idx], gpk, gh_index_sk[idx],
		    (long long)(now - 1));
		putj(GH_TABLE_ORDERS, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"g%d\","
		    "\"%s\":\"%s\",\"%s\":\"k2\"}", pks[1], idx,
		    gh_index_pk[idx], gpk, gh_index_sk[idx]);

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (desc = 0; desc < 2; desc++)
		for (li = 0; li < sizeof(limits) / sizeof(limits[0]); li++) {
			n = 0;
			for (j = 0; j < nrow; j++)
				if (sk_match(rows[j].isk, &cases[i]))
					exp[n++] = rows[j];
			memset(&q, 0, sizeof(q));
			q.table = GH_TABLE_MAIN;
			q.index = idx;
			q.pk = gpk;
			q.skop = cases[i].op;
			q.sk1 = cases[i].sk1;
			q.sk2 = cases[i].sk2;
			q.descending = desc;
			all = query_all(&q, limits[li], &pages, &err);
			ok = err == GH_OK && json_object_array_length(all) == n;
			/* Index sort keys in order (rows[] is sorted). */
			for (k = 0; ok && k < n; k++) {
				o = json_object_array_get_idx(all, k);
				got[k].isk = gets_(o, gh_index_sk[idx]);
				got[k].pk = gets_(o, "PK");
				got[k].sk = gets_(o, "SK");
				ok = strcmp(got[k].isk,
				    exp[desc ? n - 1 - k : k].isk) == 0;
			}
			/* The same items, each once. */
			if (ok) {
				qsort(exp, n, sizeof(exp[0]), cmp_gsirow_key);
				qsort(got, n, sizeof(got[0]), cmp_gsirow_key);
				for (k = 0; ok && k < n; k++)
					ok = cmp_gsirow_key(&got[k],
					    &exp[k]) == 0;
			}
			T(ok, "%s query %s %s%s%s, %s, limit %zu: %zu items, "
			    "%d pages (%s)", gh_index_names[idx],
			    skop_names[cases[i].op],
			    cases[i].sk1 ? cases[i].sk1 : "",
			    cases[i].sk2 ? ".." : "",
			    cases[i].sk2 ? cases[i].sk2 : "",
			    desc ? "desc" : "asc", limits[li], n, pages,
			    gh_strerror(err));
			json_object_put(all);
		}
	}
}

/* An update that changes an item's index key moves it in the index. */
static void
test_query_gsi_move(void)
{
	char		 pk[128], g[128];
	struct gh_query	 q;
	struct gh_update u;
	json_object	*set, *all;
	enum gh_err	 err;
	int		 pages;
	int64_t		 v;

	K(pk, sizeof(pk), "mv");
	K(g, sizeof(g), "mv-g");
	putj(GH_TABLE_MAIN, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"1\",\"GSI2PK\":"
	    "\"%s\",\"GSI2SK\":\"b\"}", pk, g);
	putj(GH_TABLE_MAIN, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"2\",\"GSI2PK\":"
	    "\"%s\",\"GSI2SK\":\"c\"}", pk, g);
	memset(&u, 0, sizeof(u));
	set = J("{\"GSI2SK\":\"a\"}");
	u.set = set;
	T(gh_store_update(s, GH_TABLE_MAIN, pk, "2", &u, NULL, NULL) == GH_OK,
	    "update an index sort key");
	json_object_put(set);
	memset(&q, 0, sizeof(q));
	q.table = GH_TABLE_MAIN;
	q.index = GH_INDEX_GSI2;
	q.pk = g;
	all = query_all(&q, 0, &pages, &err);
	T(err == GH_OK && json_object_array_length(all) == 2 &&
	    strcmp(gets_(json_object_array_get_idx(all, 0), "SK"), "2") == 0,
	    "the item moved to its new place in the index");
	json_object_put(all);

	const char *rm[] = { "GSI2PK" };
	memset(&u, 0, sizeof(u));
	u.remove = rm;
	u.nremove = 1;
	T(gh_store_update(s, GH_TABLE_MAIN, pk, "1", &u, NULL, NULL) == GH_OK,
	    "remove an index partition key");
	all = query_all(&q, 0, &pages, &err);
	T(err == GH_OK && json_object_array_length(all) == 1 &&
	    strcmp(gets_(json_object_array_get_idx(all, 0), "SK"), "2") == 0,
	    "the item left the index");
	json_object_put(all);

	/* Orders has the same indexes. */
	putj(GH_TABLE_ORDERS, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"o1\","
	    "\"GSI1PK\":\"%s\",\"GSI1SK\":\"x\"}", pk, g);
	q.table = GH_TABLE_ORDERS;
	q.index = GH_INDEX_GSI1;
	all = query_all(&q, 0, &pages, &err);
	T(err == GH_OK && json_object_array_length(all) == 1 &&
	    strcmp(gets_(json_object_array_get_idx(all, 0), "SK"), "o1") == 0,
	    "orders GSI1 query");
	json_object_put(all);
}

static char *
b64url(const char *txt)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *p = (const unsigned char *)txt;
	size_t		 len = strlen(txt), i, o = 0;
	char		*out;
	uint32_t	 v;

	if ((out = malloc(len * 2 + 4)) == NULL)
		abort();
	for (i = 0; i < len; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		if (i + 1 < len)
			out[o++] = a[v >> 6 & 63];
		if (i + 2 < len)
			out[o++] = a[v & 63];
	}
	out[o] = '\0';
	return out;
}

/* Copies tmpl to buf with each '@' replaced by pk. */
static void
subst_at(char *buf, size_t sz, const char *tmpl, const char *pk)
{
	size_t	 n = 0, pl = strlen(pk);

	for (; *tmpl != '\0' && n + pl + 1 < sz; tmpl++) {
		if (*tmpl == '@') {
			memcpy(buf + n, pk, pl);
			n += pl;
		} else
			buf[n++] = *tmpl;
	}
	buf[n] = '\0';
}

static void
test_cursors(void)
{
	char		 pk[128], pk2[128], g[128], buf[2048], *c = NULL,
			*gc = NULL, *forged, *big;
	struct gh_query	 q, q2;
	struct gh_page	 pg;
	enum gh_err	 err;
	size_t		 i;
	int64_t		 v;
	static const char *const garbage[] = {
		"", "x", "!!!!", "AAAA", "e30", "e30=", "eyJ0IjowfQ",
		"++//", "e30\n", " e30",
	};
	static const char *const forgedjson[] = {
		"{\"t\":0,\"i\":0,\"k\":[\"@\",\"b\"],\"z\":1}",
		"{\"t\":0,\"i\":0,\"k\":[\"@\",\"b\",\"c\"]}",
		"{\"t\":0,\"i\":0,\"k\":[\"@\"]}",
		"{\"t\":\"0\",\"i\":0,\"k\":[\"@\",\"b\"]}",
		"{\"t\":0,\"i\":0,\"k\":[\"@\",\"\"]}",
		"{\"t\":0,\"i\":0,\"k\":[\"@\",5]}",
		"{\"t\":0,\"i\":0,\"k\":[\"@\",\"b\"]} ",
		"{\"t\":0,\"i\":0,\"k\":[\"@\",\"b\"]}x",
		"{\"t\":1,\"i\":0,\"k\":[\"@\",\"b\"]}",
		"{\"t\":0,\"i\":1,\"k\":[\"@\",\"b\"]}",
		"{\"t\":0,\"i\":0,\"k\":[\"@-not\",\"b\"]}",
		"[\"@\"]",
		"{\"t\":0, \"i\":0,\"k\":[\"@\",\"b\"]}",
		"{\"i\":0,\"t\":0,\"k\":[\"@\",\"b\"]}",
		"{\"t\":0,\"i\":0,\"k\":[\"@\",\"\\u0062\"]}",
	};

	K(pk, sizeof(pk), "cur");
	K(pk2, sizeof(pk2), "cur2");
	K(g, sizeof(g), "cur-g");
	for (i = 0; i < 4; i++) {
		putj(GH_TABLE_MAIN, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"%zu\","
		    "\"GSI1PK\":\"%s\",\"GSI1SK\":\"x\"}", pk, i, g);
		putj(GH_TABLE_MAIN, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"%zu\"}",
		    pk2, i);
		putj(GH_TABLE_ORDERS, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"%zu\"}",
		    pk, i);
	}
	memset(&q, 0, sizeof(q));
	q.table = GH_TABLE_MAIN;
	q.pk = pk;
	q.limit = 1;
	memset(&pg, 0, sizeof(pg));
	T(gh_store_query(s, &q, &pg) == GH_OK && pg.cursor != NULL &&
	    json_object_array_length(pg.items) == 1,
	    "first page of a base query carries a cursor");
	c = pg.cursor;
	pg.cursor = NULL;
	gh_page_free(&pg);

	q2 = q;
	q2.index = GH_INDEX_GSI1;
	q2.pk = g;
	memset(&pg, 0, sizeof(pg));
	T(gh_store_query(s, &q2, &pg) == GH_OK && pg.cursor != NULL,
	    "first page of a GSI query carries a cursor");
	gc = pg.cursor;
	pg.cursor = NULL;
	gh_page_free(&pg);
	if (c == NULL || gc == NULL)
		goto out;

	q.cursor = c;
	memset(&pg, 0, sizeof(pg));
	T(gh_store_query(s, &q, &pg) == GH_OK &&
	    json_object_array_length(pg.items) == 1 &&
	    strcmp(gets_(json_object_array_get_idx(pg.items, 0), "SK"), "1") ==
	    0, "the cursor resumes its own query");
	gh_page_free(&pg);

	q2 = q;
	q2.pk = pk2;
	T(gh_store_query(s, &q2, &pg) == GH_ERR_INVAL,
	    "a cursor from another partition: invalid");
	q2 = q;
	q2.table = GH_TABLE_ORDERS;
	T(gh_store_query(s, &q2, &pg) == GH_ERR_INVAL,
	    "a cursor from another table: invalid");
	q2 = q;
	q2.index = GH_INDEX_GSI1;
	T(gh_store_query(s, &q2, &pg) == GH_ERR_INVAL,
	    "a base cursor on an index query: invalid");
	q2.pk = g;
	T(gh_store_query(s, &q2, &pg) == GH_ERR_INVAL,
	    "a base cursor on an index query of its partition: invalid");
	q2.cursor = gc;
	q2.index = GH_INDEX_GSI2;
	T(gh_store_query(s, &q2, &pg) == GH_ERR_INVAL,
	    "a GSI1 cursor on GSI2: invalid");
	q2 = q;
	q2.cursor = gc;
	T(gh_store_query(s, &q2, &pg) == GH_ERR_INVAL,
	    "a GSI cursor on a base query: invalid");

	for (i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		q2 = q;
		q2.cursor = garbage[i];
		T(gh_store_query(s, &q2, &pg) == GH_ERR_INVAL,
		    "garbage cursor %zu: invalid", i);
	}
	snprintf(buf, sizeof(buf), "%s=", c);
	q2 = q;
	q2.cursor = buf;
	T(gh_store_query(s, &q2, &pg) == GH_ERR_INVAL,
	    "padded cursor: invalid");
	snprintf(buf, sizeof(buf), "%s.", c);
	T(gh_store_query(s, &q2, &pg) == GH_ERR_INVAL,
	    "cursor with a stray character: invalid");
	for (i = 0; i < sizeof(forgedjson) / sizeof(forgedjson[0]); i++) {
		subst_at(buf, sizeof(buf), forgedjson[i], pk);
		forged = b64url(buf);
		q2 = q;
		q2.cursor = forged;
		T(gh_store_query(s, &q2, &pg) == GH_ERR_INVAL,
		    "forged cursor %s: invalid", buf);
		free(forged);
	}
	/* A well-formed cursor of our own making does resume. */
	snprintf(buf, sizeof(buf), "{\"t\":0,\"i\":0,\"k\":[\"%s\",\"2\"]}",
	    pk);
	forged = b64url(buf);
	q2 = q;
	q2.cursor = forged;
	memset(&pg, 0, sizeof(pg));
	err = gh_store_query(s, &q2, &pg);
	T(err == GH_OK && json_object_array_length(pg.items) == 1 &&
	    strcmp(gets_(json_object_array_get_idx(pg.items, 0), "SK"), "3") ==
	    0, "a hand-made cursor in the documented format resumes");
	gh_page_free(&pg);
	free(forged);

	if ((big = malloc(200 * 1024)) == NULL)
		abort();
	memset(big, 'A', 200 * 1024 - 1);
	big[200 * 1024 - 1] = '\0';
	q2 = q;
	q2.cursor = big;
	T(gh_store_query(s, &q2, &pg) == GH_ERR_INVAL, "huge cursor: invalid");
	free(big);
out:
	free(c);
	free(gc);
}

static void
test_expiry(void)
{
	char		 pk[128], g[128];
	json_object	*got = NULL, *arr = NULL, *set;
	struct gh_key	 keys[3];
	struct gh_query	 q;
	struct gh_update u;
	struct gh_cond	 c;
	enum gh_err	 err;
	int		 pages;
	int64_t		 v;

	K(pk, sizeof(pk), "exp");
	K(g, sizeof(g), "exp-g");
	T(putj(GH_TABLE_MAIN, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"gone\","
	    "\"GSI3PK\":\"%s\",\"GSI3SK\":\"a\",\"stale\":1,"
	    "\"expires_at\":%lld}", pk, g, (long long)(now - 10)) == GH_OK,
	    "put an item that has already expired");
	T(putj(GH_TABLE_MAIN, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"live\","
	    "\"GSI3PK\":\"%s\",\"GSI3SK\":\"b\",\"expires_at\":%lld}", pk, g,
	    (long long)(now + 3600)) == GH_OK, "put an item alive for an hour");

	T(gh_store_get(s, GH_TABLE_MAIN, pk, "gone", &got) == GH_ERR_NOTFOUND,
	    "expired: absent to get");
	T(gh_store_get(s, GH_TABLE_MAIN, pk, "live", &got) == GH_OK &&
	    geti(got, "expires_at") == now + 3600, "future expiry: present");
	json_object_put(got);
	got = NULL;

	keys[0].pk = pk;
	keys[0].sk = "gone";
	keys[1].pk = pk;
	keys[1].sk = "live";
	T(gh_store_batch_get(s, GH_TABLE_MAIN, keys, 2, &arr) == GH_OK &&
	    json_object_array_length(arr) == 1 &&
	    strcmp(gets_(json_object_array_get_idx(arr, 0), "SK"), "live") == 0,
	    "expired: absent to batch get");
	json_object_put(arr);

	memset(&q, 0, sizeof(q));
	q.table = GH_TABLE_MAIN;
	q.pk = pk;
	arr = query_all(&q, 0, &pages, &err);
	T(err == GH_OK && json_object_array_length(arr) == 1,
	    "expired: absent to a base query");
	json_object_put(arr);
	q.index = GH_INDEX_GSI3;
	q.pk = g;
	arr = query_all(&q, 0, &pages, &err);
	T(err == GH_OK && json_object_array_length(arr) == 1,
	    "expired: absent to an index query");
	json_object_put(arr);

	T(gh_store_delete(s, GH_TABLE_MAIN, pk, "gone", NULL, NULL) ==
	    GH_ERR_NOTFOUND, "expired: absent to delete");
	c = c_ver(1);
	T(gh_store_delete(s, GH_TABLE_MAIN, pk, "gone", &c, NULL) ==
	    GH_ERR_NOTFOUND, "expired: absent to delete VERSION");
	T(putj(GH_TABLE_MAIN, &c_old, &v, "{\"PK\":\"%s\",\"SK\":\"gone\"}",
	    pk) == GH_ERR_CONFLICT, "expired: put EXISTS fails");
	T(putj(GH_TABLE_MAIN, &c, &v, "{\"PK\":\"%s\",\"SK\":\"gone\"}", pk) ==
	    GH_ERR_CONFLICT, "expired: put VERSION fails");
	memset(&u, 0, sizeof(u));
	T(gh_store_update(s, GH_TABLE_MAIN, pk, "gone", &u, &c_old, NULL) ==
	    GH_ERR_CONFLICT, "expired: update EXISTS fails");
	T(gh_store_update(s, GH_TABLE_MAIN, pk, "gone", &u, &c, NULL) ==
	    GH_ERR_CONFLICT, "expired: update VERSION fails");
	T(putj(GH_TABLE_MAIN, &c_new, &v, "{\"PK\":\"%s\",\"SK\":\"gone\","
	    "\"fresh\":1}", pk) == GH_OK && v == 1,
	    "expired: put NOT_EXISTS succeeds over it, version 1");
	T(gh_store_get(s, GH_TABLE_MAIN, pk, "gone", &got) == GH_OK &&
	    geti(got, "fresh") == 1 && !has(got, "stale") &&
	    !has(got, "expires_at"), "the new item is live and whole");
	json_object_put(got);
	got = NULL;

	/* An update over an expired item starts a new one. */
	T(putj(GH_TABLE_MAIN, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"gone2\","
	    "\"stale\":1,\"n\":100,\"expires_at\":%lld}", pk,
	    (long long)(now - 10)) == GH_OK, "put another expired item");
	set = J("{\"n\":1}");
	u.add = set;
	T(gh_store_update(s, GH_TABLE_MAIN, pk, "gone2", &u, &c_new, &got) ==
	    GH_OK && geti(got, "version") == 1 && geti(got, "n") == 1 &&
	    !has(got, "stale") && !has(got, "expires_at"),
	    "expired: update NOT_EXISTS creates a new item: %s",
	    got ? json_object_to_json_string(got) : "(null)");
	json_object_put(got);
	json_object_put(set);
}

static void
test_batch_get(void)
{
	struct gh_key	 keys[GH_STORE_BATCH_MAX + 1];
	char		 pk[128], sks[GH_STORE_BATCH_MAX + 1][16];
	json_object	*arr = NULL, *sentinel = (json_object *)&now, *o;
	int		 seen[GH_STORE_BATCH_MAX + 1], ok;
	size_t		 i, n;
	int64_t		 v;

	K(pk, sizeof(pk), "bg");
	for (i = 0; i <= GH_STORE_BATCH_MAX; i++) {
		snprintf(sks[i], sizeof(sks[i]), "k%03zu", i);
		keys[i].pk = pk;
		keys[i].sk = sks[i];
		if (i % 3 == 0)
			putj(GH_TABLE_MAIN, NULL, &v, "{\"PK\":\"%s\","
			    "\"SK\":\"%s\",\"i\":%zu}", pk, sks[i], i);
		else if (i % 7 == 1)
			putj(GH_TABLE_MAIN, NULL, &v, "{\"PK\":\"%s\","
			    "\"SK\":\"%s\",\"expires_at\":%lld}", pk, sks[i],
			    (long long)(now - 1));
	}
	T(gh_store_batch_get(s, GH_TABLE_MAIN, keys, GH_STORE_BATCH_MAX,
	    &arr) == GH_OK, "batch get of %d keys", GH_STORE_BATCH_MAX);
	memset(seen, 0, sizeof(seen));
	ok = arr != NULL;
	n = ok ? json_object_array_length(arr) : 0;
	for (i = 0; ok && i < n; i++) {
		o = json_object_array_get_idx(arr, i);
		v = geti(o, "i");
		ok = v >= 0 && v < GH_STORE_BATCH_MAX && v % 3 == 0 &&
		    seen[v] == 0 && geti(o, "version") == 1 &&
		    strcmp(gets_(o, "SK"), sks[v]) == 0;
		if (ok)
			seen[v] = 1;
	}
	T(ok && n == (GH_STORE_BATCH_MAX + 2) / 3,
	    "batch get: every live item once, nothing else (%zu)", n);
	json_object_put(arr);
	arr = sentinel;
	T(gh_store_batch_get(s, GH_TABLE_MAIN, keys, GH_STORE_BATCH_MAX + 1,
	    &arr) == GH_ERR_INVAL && arr == sentinel,
	    "batch get of %d keys: invalid", GH_STORE_BATCH_MAX + 1);
	keys[1] = keys[0];
	T(gh_store_batch_get(s, GH_TABLE_MAIN, keys, 3, &arr) == GH_ERR_INVAL,
	    "batch get with a duplicate key: invalid");
	keys[1].sk = "";
	T(gh_store_batch_get(s, GH_TABLE_MAIN, keys, 3, &arr) == GH_ERR_INVAL,
	    "batch get with an empty key: invalid");
	arr = NULL;
	T(gh_store_batch_get(s, GH_TABLE_MAIN, keys, 0, &arr) == GH_OK &&
	    json_object_is_type(arr, json_type_array) &&
	    json_object_array_length(arr) == 0, "batch get of no keys: empty");
	json_object_put(arr);
	arr = NULL;
	T(gh_store_batch_get(s, GH_TABLE_ORDERS, keys, 1, &arr) == GH_OK &&
	    json_object_array_length(arr) == 0, "batch get from orders: empty");
	json_object_put(arr);
}

static void
test_bad_inputs(void)
{
	char		 pk[128], *longk, *bigs;
	json_object	*item, *got = NULL, *o;
	struct gh_update u;
	struct gh_query	 q;
	struct gh_page	 pg;
	struct gh_cond	 badc = { GH_COND__MAX, 0 };
	const char	*rm[1];
	size_t		 i;
	int64_t		 v;
	static const char *const baditems[] = {
		"{\"SK\":\"s\"}",
		"{\"PK\":\"%s\"}",
		"{\"PK\":1,\"SK\":\"s\"}",
		"{\"PK\":\"\",\"SK\":\"s\"}",
		"{\"PK\":\"%s\",\"SK\":\"\"}",
		"{\"PK\":\"%s\",\"SK\":null}",
		"{\"PK\":\"%s\",\"SK\":\"s\",\"expires_at\":\"soon\"}",
		"{\"PK\":\"%s\",\"SK\":\"s\",\"expires_at\":1.5}",
		"{\"PK\":\"%s\",\"SK\":\"s\",\"version\":\"3\"}",
		"{\"PK\":\"%s\",\"SK\":\"s\",\"GSI1PK\":7}",
		"{\"PK\":\"%s\",\"SK\":\"s\",\"GSI1PK\":\"g\",\"GSI1SK\":\"\"}",
		"{\"PK\":\"%s\",\"SK\":\"s\",\"GSI2PK\":null}",
		"{\"PK\":\"%s\",\"SK\":\"s\",\"GSI3SK\":[\"x\"]}",
		"{\"PK\":\"%s\",\"SK\":\"s\",\"\":1}",
		"[\"%s\"]",
	};

	K(pk, sizeof(pk), "bad");
	track(GH_TABLE_MAIN, pk, "s");
	for (i = 0; i < sizeof(baditems) / sizeof(baditems[0]); i++) {
		item = J(baditems[i], pk);
		T(gh_store_put(s, GH_TABLE_MAIN, item, NULL) == GH_ERR_INVAL,
		    "put %s: invalid", baditems[i]);
		json_object_put(item);
	}
	T(gh_store_get(s, GH_TABLE_MAIN, pk, "s", &got) == GH_ERR_NOTFOUND,
	    "no invalid put was written");

	/* NUL inside a key; invalid UTF-8. */
	item = J("{\"SK\":\"s\"}");
	json_object_object_add(item, "PK", json_object_new_string_len("a\0b", 3));
	T(gh_store_put(s, GH_TABLE_MAIN, item, NULL) == GH_ERR_INVAL,
	    "put with a NUL byte in PK: invalid");
	json_object_object_add(item, "PK", json_object_new_string(pk));
	json_object_object_add(item, "SK", json_object_new_string("s\xff"));
	T(gh_store_put(s, GH_TABLE_MAIN, item, NULL) == GH_ERR_INVAL,
	    "put with invalid UTF-8 in SK: invalid");
	json_object_object_add(item, "SK", json_object_new_string("s"));
	json_object_object_add(item, "x", json_object_new_string("\xc0\x80"));
	T(gh_store_put(s, GH_TABLE_MAIN, item, NULL) == GH_ERR_INVAL,
	    "put with invalid UTF-8 in an attribute: invalid");
	json_object_put(item);
	T(gh_store_put(s, GH_TABLE_MAIN, NULL, NULL) == GH_ERR_INVAL,
	    "put NULL: invalid");
	item = J("{\"PK\":\"%s\",\"SK\":\"s\"}", pk);
	T(gh_store_put(s, (enum gh_table)7, item, NULL) == GH_ERR_INVAL,
	    "put into table 7: invalid");
	T(gh_store_put(s, GH_TABLE_MAIN, item, &badc) == GH_ERR_INVAL,
	    "put with an unknown condition: invalid");
	json_object_put(item);

	/* Key lengths: 1024 bytes fine, 1025 not. */
	if ((longk = malloc(GH_STORE_KEY_MAX + 2)) == NULL)
		abort();
	snprintf(longk, GH_STORE_KEY_MAX + 2, "%s", pk);
	memset(longk + strlen(pk), 'k', GH_STORE_KEY_MAX + 1 - strlen(pk));
	longk[GH_STORE_KEY_MAX] = '\0';
	T(putj(GH_TABLE_MAIN, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"%s\"}", pk,
	    longk) == GH_OK, "put with a %d-byte SK", GH_STORE_KEY_MAX);
	T(gh_store_get(s, GH_TABLE_MAIN, pk, longk, &got) == GH_OK,
	    "get with a %d-byte SK", GH_STORE_KEY_MAX);
	json_object_put(got);
	got = NULL;
	longk[GH_STORE_KEY_MAX] = 'k';
	longk[GH_STORE_KEY_MAX + 1] = '\0';
	item = J("{\"PK\":\"%s\",\"SK\":\"%s\"}", pk, longk);
	T(gh_store_put(s, GH_TABLE_MAIN, item, NULL) == GH_ERR_INVAL,
	    "put with a %d-byte SK: invalid", GH_STORE_KEY_MAX + 1);
	json_object_put(item);
	T(gh_store_get(s, GH_TABLE_MAIN, pk, longk, &got) == GH_ERR_INVAL,
	    "get with a %d-byte SK: invalid", GH_STORE_KEY_MAX + 1);
	T(gh_store_get(s, GH_TABLE_MAIN, longk, "s", &got) == GH_ERR_INVAL,
	    "get with a %d-byte PK: invalid", GH_STORE_KEY_MAX + 1);
	T(gh_store_delete(s, GH_TABLE_MAIN, longk, "s", NULL, NULL) ==
	    GH_ERR_INVAL, "delete with a long PK: invalid");
	T(gh_store_get(s, GH_TABLE_MAIN, "", "s", &got) == GH_ERR_INVAL &&
	    gh_store_get(s, GH_TABLE_MAIN, pk, "", &got) == GH_ERR_INVAL &&
	    gh_store_get(s, GH_TABLE_MAIN, NULL, "s", &got) == GH_ERR_INVAL &&
	    gh_store_get(s, GH_TABLE_MAIN, pk, "s", NULL) == GH_ERR_INVAL &&
	    gh_store_get(s, (enum gh_table)-1, pk, "s", &got) == GH_ERR_INVAL,
	    "get with empty or NULL keys, NULL out, bad table: invalid");
	free(longk);

	/* Item size: just under the limit fine, over it not. */
	if ((bigs = malloc(GH_STORE_ITEM_MAX + 1)) == NULL)
		abort();
	memset(bigs, 'x', GH_STORE_ITEM_MAX);
	bigs[GH_STORE_ITEM_MAX - 1024] = '\0';
	item = J("{\"PK\":\"%s\",\"SK\":\"big\"}", pk);
	track(GH_TABLE_MAIN, pk, "big");
	json_object_object_add(item, "blob", json_object_new_string(bigs));
	T(gh_store_put(s, GH_TABLE_MAIN, item, NULL) == GH_OK,
	    "put of an item just under %d bytes", GH_STORE_ITEM_MAX);
	T(gh_store_get(s, GH_TABLE_MAIN, pk, "big", &got) == GH_OK &&
	    strlen(gets_(got, "blob")) == GH_STORE_ITEM_MAX - 1024,
	    "and it reads back whole");
	json_object_put(got);
	got = NULL;
	memset(bigs, 'x', GH_STORE_ITEM_MAX);
	bigs[GH_STORE_ITEM_MAX] = '\0';
	json_object_object_add(item, "blob", json_object_new_string(bigs));
	T(gh_store_put(s, GH_TABLE_MAIN, item, NULL) == GH_ERR_INVAL,
	    "put of an item over %d bytes: invalid", GH_STORE_ITEM_MAX);
	json_object_put(item);
	memset(&u, 0, sizeof(u));
	u.set = o = json_object_new_object();
	json_object_object_add(o, "blob", json_object_new_string(bigs));
	T(gh_store_update(s, GH_TABLE_MAIN, pk, "big2", &u, NULL, NULL) ==
	    GH_ERR_INVAL, "update setting over %d bytes: invalid",
	    GH_STORE_ITEM_MAX);
	json_object_put(o);
	free(bigs);

	/* Updates may not touch the key or the version. */
	static const char *const badsets[] = {
		"{\"PK\":\"x\"}", "{\"SK\":\"x\"}", "{\"version\":3}",
		"{\"expires_at\":\"x\"}", "{\"GSI1PK\":1}", "{\"\":1}", "[1]",
	};
	for (i = 0; i < sizeof(badsets) / sizeof(badsets[0]); i++) {
		memset(&u, 0, sizeof(u));
		u.set = o = J("%s", badsets[i]);
		T(gh_store_update(s, GH_TABLE_MAIN, pk, "s", &u, NULL, NULL) ==
		    GH_ERR_INVAL, "update set %s: invalid", badsets[i]);
		json_object_put(o);
	}
	static const char *const badadds[] = {
		"{\"version\":1}", "{\"PK\":1}", "{\"n\":\"1\"}", "{\"n\":1.5}",
		"{\"GSI1SK\":1}",
	};
	for (i = 0; i < sizeof(badadds) / sizeof(badadds[0]); i++) {
		memset(&u, 0, sizeof(u));
		u.add = o = J("%s", badadds[i]);
		T(gh_store_update(s, GH_TABLE_MAIN, pk, "s", &u, NULL, NULL) ==
		    GH_ERR_INVAL, "update add %s: invalid", badadds[i]);
		json_object_put(o);
	}
	static const char *const badrms[] = { "PK", "SK", "version", "" };
	for (i = 0; i < sizeof(badrms) / sizeof(badrms[0]); i++) {
		memset(&u, 0, sizeof(u));
		rm[0] = badrms[i];
		u.remove = rm;
		u.nremove = 1;
		T(gh_store_update(s, GH_TABLE_MAIN, pk, "s", &u, NULL, NULL) ==
		    GH_ERR_INVAL, "update remove \"%s\": invalid", badrms[i]);
	}
	memset(&u, 0, sizeof(u));
	u.set = o = J("{\"a\":1}");
	rm[0] = "a";
	u.remove = rm;
	u.nremove = 1;
	T(gh_store_update(s, GH_TABLE_MAIN, pk, "s", &u, NULL, NULL) ==
	    GH_ERR_INVAL, "update setting and removing one attribute: invalid");
	json_object_put(o);
	memset(&u, 0, sizeof(u));
	u.nremove = 1;
	T(gh_store_update(s, GH_TABLE_MAIN, pk, "s", &u, NULL, NULL) ==
	    GH_ERR_INVAL, "update with nremove but no names: invalid");
	T(gh_store_update(s, GH_TABLE_MAIN, pk, "s", NULL, NULL, NULL) ==
	    GH_ERR_INVAL, "update NULL: invalid");
	T(gh_store_get(s, GH_TABLE_MAIN, pk, "s", &got) == GH_ERR_NOTFOUND &&
	    gh_store_get(s, GH_TABLE_MAIN, pk, "big2", &got) ==
	    GH_ERR_NOTFOUND, "no invalid update created an item");

	/* Queries. */
	memset(&q, 0, sizeof(q));
	memset(&pg, 0, sizeof(pg));
	q.table = GH_TABLE_MAIN;
	q.pk = pk;
	q.limit = GH_STORE_PAGE_MAX + 1;
	T(gh_store_query(s, &q, &pg) == GH_ERR_INVAL && pg.items == NULL,
	    "query limit %d: invalid", GH_STORE_PAGE_MAX + 1);
	q.limit = GH_STORE_PAGE_MAX;
	T(gh_store_query(s, &q, &pg) == GH_OK, "query limit %d: ok",
	    GH_STORE_PAGE_MAX);
	gh_page_free(&pg);
	gh_page_free(&pg);
	gh_page_free(NULL);
	q.pk = "";
	T(gh_store_query(s, &q, &pg) == GH_ERR_INVAL, "query pk \"\": invalid");
	q.pk = pk;
	q.skop = GH_SK_BEGINS;
	T(gh_store_query(s, &q, &pg) == GH_ERR_INVAL,
	    "query begins_with NULL: invalid");
	q.sk1 = "";
	T(gh_store_query(s, &q, &pg) == GH_ERR_INVAL,
	    "query begins_with \"\": invalid");
	q.skop = GH_SK_BETWEEN;
	q.sk1 = "b";
	q.sk2 = "a";
	T(gh_store_query(s, &q, &pg) == GH_ERR_INVAL,
	    "query between b and a: invalid");
	q.sk2 = NULL;
	T(gh_store_query(s, &q, &pg) == GH_ERR_INVAL,
	    "query between b and NULL: invalid");
	q.skop = GH_SK__MAX;
	T(gh_store_query(s, &q, &pg) == GH_ERR_INVAL,
	    "query with an unknown operator: invalid");
	q.skop = GH_SK_ANY;
	q.index = GH_INDEX__MAX;
	T(gh_store_query(s, &q, &pg) == GH_ERR_INVAL,
	    "query of an unknown index: invalid");
	q.index = GH_INDEX_BASE;
	q.table = GH_TABLE__MAX;
	T(gh_store_query(s, &q, &pg) == GH_ERR_INVAL,
	    "query of an unknown table: invalid");
	T(gh_store_query(s, NULL, &pg) == GH_ERR_INVAL &&
	    gh_store_query(s, &q, NULL) == GH_ERR_INVAL, "query NULL: invalid");
}

/*
 * A read snapshot (gh_store_snapshot_begin/_end): reads, batch gets and
 * queries work inside one, a write inside one ends it and lands, and a
 * later read sees that write and another connection's.  Whether the reads
 * before a write see another connection's commit is the backend's (SQLite:
 * not; DynamoDB: yes); test-store-sqlite.c checks SQLite's.
 */
static void
test_snapshot(void)
{
	struct gh_store	*s2 = NULL;
	struct gh_key	 key;
	struct gh_query	 q;
	struct gh_page	 page = { NULL, NULL };
	json_object	*got = NULL, *arr = NULL, *set;
	struct gh_update u = { NULL, NULL, 0, NULL };
	char		 pk[128];
	int64_t		 v;

	K(pk, sizeof(pk), "snap");
	T(putj(GH_TABLE_MAIN, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"a\",\"n\":1}",
	    pk) == GH_OK, "snapshot: an item to read");
	gh_store_snapshot_begin(s);
	gh_store_snapshot_begin(s);	/* twice: still one */
	T(gh_store_get(s, GH_TABLE_MAIN, pk, "a", &got) == GH_OK &&
	    geti(got, "n") == 1, "snapshot: a get inside");
	json_object_put(got);
	got = NULL;
	key.pk = pk;
	key.sk = "a";
	T(gh_store_batch_get(s, GH_TABLE_MAIN, &key, 1, &arr) == GH_OK &&
	    json_object_array_length(arr) == 1, "snapshot: a batch get inside");
	json_object_put(arr);
	memset(&q, 0, sizeof(q));
	q.table = GH_TABLE_MAIN;
	q.index = GH_INDEX_BASE;
	q.pk = pk;
	q.limit = 10;
	T(gh_store_query(s, &q, &page) == GH_OK &&
	    json_object_array_length(page.items) == 1, "snapshot: a query inside");
	gh_page_free(&page);
	T(putj(GH_TABLE_MAIN, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"b\"}", pk) ==
	    GH_OK, "snapshot: a put inside lands");
	T(gh_store_get(s, GH_TABLE_MAIN, pk, "b", &got) == GH_OK,
	    "snapshot: the put is seen after it");
	json_object_put(got);
	got = NULL;
	/* Another connection's write, then ours in a new snapshot. */
	gh_store_snapshot_end(s);
	gh_store_snapshot_begin(s);
	T(gh_store_get(s, GH_TABLE_MAIN, pk, "a", &got) == GH_OK,
	    "snapshot: a read opens it");
	json_object_put(got);
	got = NULL;
	if (gh_store_open(conf, &s2) == GH_OK) {
		set = json_tokener_parse("{\"n\":2}");
		u.set = set;
		T(gh_store_update(s2, GH_TABLE_MAIN, pk, "a", &u, NULL, NULL) ==
		    GH_OK, "snapshot: another connection updates the item");
		json_object_put(set);
	} else
		T(0, "snapshot: a second connection: %s", gh_store_errmsg(NULL));
	set = json_tokener_parse("{\"m\":3}");
	u.set = set;
	T(gh_store_update(s, GH_TABLE_MAIN, pk, "b", &u, NULL, NULL) == GH_OK,
	    "snapshot: an update inside, after another connection's write, "
	    "lands (the snapshot ends first: no stale-snapshot conflict)");
	json_object_put(set);
	T(gh_store_get(s, GH_TABLE_MAIN, pk, "a", &got) == GH_OK &&
	    geti(got, "n") == 2, "snapshot: after our write, the other's is seen");
	json_object_put(got);
	got = NULL;
	T(gh_store_delete(s, GH_TABLE_MAIN, pk, "b", NULL, NULL) == GH_OK,
	    "snapshot: a delete inside lands");
	gh_store_snapshot_end(s);
	gh_store_snapshot_end(s);	/* twice: a no-op */
	gh_store_snapshot_begin(NULL);
	gh_store_snapshot_end(NULL);
	gh_store_free(s2);
}

static void
test_misc(void)
{
	json_object	*got = NULL;
	char		 pk[128];

	K(pk, sizeof(pk), "misc");
	T(gh_store_ping(s) == GH_OK, "ping");
	gh_store_ops_reset(s);
	T(gh_store_ops(s) == 0, "ops reset to 0");
	gh_store_get(s, GH_TABLE_MAIN, pk, "x", &got);
	T(gh_store_ops(s) >= 1, "a get counts as a backend request (%u)",
	    gh_store_ops(s));
	gh_store_ops_reset(s);
	T(gh_store_get(s, GH_TABLE_MAIN, "", "x", &got) == GH_ERR_INVAL &&
	    gh_store_ops(s) == 0 && gh_store_errmsg(s)[0] != '\0',
	    "an invalid request reaches no backend and leaves a message");
	T(gh_store_errmsg(s) != NULL, "errmsg never NULL");
	gh_store_free(NULL);
}

/* ------------------------------------------------------------------ */
/* Several processes.  The parent closes its store first: a connection
 * (SQLite's or curl's) must not cross fork(). */

static int
reopen(void)
{
	gh_store_free(s);
	s = NULL;
	if (gh_store_open(conf, &s) != GH_OK) {
		fprintf(stderr, "reopen: %s\n", gh_store_errmsg(NULL));
		return -1;
	}
	return 0;
}

typedef int (*child_fn)(struct gh_store *, int);

/*
 * Forks n children that wait at a barrier, then run fn(store, i); each
 * child's exit status is fn's result.  Fills status[i]; returns 0 if all
 * children ran and exited normally.
 */
static int
run_children(int n, child_fn fn, int *status)
{
	pid_t		 pids[64];
	int		 fds[2], i, ws, bad = 0, rc;
	char		 c;
	struct gh_store	*cs;

	gh_store_free(s);
	s = NULL;
	fflush(stdout);
	fflush(stderr);
	if (pipe(fds) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if ((pids[i] = fork()) == -1) {
			n = i;
			bad = 1;
			break;
		}
		if (pids[i] == 0) {
			close(fds[1]);
			cs = NULL;
			rc = 100;
			if (gh_store_open(conf, &cs) == GH_OK &&
			    read(fds[0], &c, 1) == 0)
				rc = fn(cs, i);
			else
				fprintf(stderr, "child %d: open: %s\n", i,
				    gh_store_errmsg(NULL));
			gh_store_free(cs);
			_exit(rc);
		}
	}
	close(fds[0]);
	close(fds[1]);	/* the barrier opens */
	for (i = 0; i < n; i++) {
		if (waitpid(pids[i], &ws, 0) == -1 || !WIFEXITED(ws)) {
			status[i] = -1;
			bad = 1;
		} else
			status[i] = WEXITSTATUS(ws);
	}
	if (reopen() != 0)
		bad = 1;
	return bad ? -1 : 0;
}

static char	 shared_pk[128];

static void
backoff(int i)
{
	struct timespec	 ts = { 0, 1000000L * (1 + (rand() + i) % 5) };

	nanosleep(&ts, NULL);
}

/* NINC increments by read, +1, write-if-version-unchanged. */
static int
child_increment(struct gh_store *cs, int i)
{
	json_object	*item = NULL, *n;
	struct gh_cond	 c;
	enum gh_err	 err;
	int		 done = 0, tries = 0;

	srand((unsigned)getpid());
	while (done < NINC && tries++ < 100000) {
		item = NULL;
		if ((err = gh_store_get(cs, GH_TABLE_MAIN, shared_pk, "counter",
		    &item)) != GH_OK) {
			if (err == GH_ERR_THROTTLED) {
				backoff(i);
				continue;
			}
			return 2;
		}
		c = c_ver(geti(item, "version"));
		if ((n = json_object_new_int64(geti(item, "n") + 1)) == NULL)
			return 2;
		json_object_object_add(item, "n", n);
		err = gh_store_put(cs, GH_TABLE_MAIN, item, &c);
		json_object_put(item);
		if (err == GH_OK)
			done++;
		else if (err == GH_ERR_CONFLICT || err == GH_ERR_THROTTLED)
			backoff(i);
		else
			return 3;
	}
	return done == NINC ? 0 : 4;
}

/* NINC increments by update-add. */
static int
child_add(struct gh_store *cs, int i)
{
	struct gh_update u;
	json_object	*add;
	enum gh_err	 err;
	int		 done = 0, tries = 0;

	memset(&u, 0, sizeof(u));
	if ((add = json_object_new_object()) == NULL)
		return 2;
	json_object_object_add(add, "n", json_object_new_int(1));
	u.add = add;
	while (done < NINC && tries++ < 100000) {
		err = gh_store_update(cs, GH_TABLE_MAIN, shared_pk, "adder", &u,
		    NULL, NULL);
		if (err == GH_OK)
			done++;
		else if (err == GH_ERR_THROTTLED)
			backoff(i);
		else
			break;
	}
	json_object_put(add);
	return done == NINC ? 0 : 2;
}

/* 0: deleted it (and got it), 1: not found, 2: anything else. */
static int
child_delete(struct gh_store *cs, int i)
{
	json_object	*got = NULL;
	enum gh_err	 err;
	int		 rc;

	do {
		err = gh_store_delete(cs, GH_TABLE_MAIN, shared_pk, "victim",
		    NULL, &got);
	} while (err == GH_ERR_THROTTLED && (backoff(i), 1));
	if (err == GH_OK)
		rc = got != NULL && geti(got, "marker") == 42 ? 0 : 2;
	else
		rc = err == GH_ERR_NOTFOUND ? 1 : 2;
	json_object_put(got);
	return rc;
}

/* 0: created it, 1: conflict, 2: anything else. */
static int
child_create(struct gh_store *cs, int i)
{
	json_object	*item;
	enum gh_err	 err;

	if ((item = json_object_new_object()) == NULL)
		return 2;
	json_object_object_add(item, "PK", json_object_new_string(shared_pk));
	json_object_object_add(item, "SK", json_object_new_string("prize"));
	json_object_object_add(item, "owner", json_object_new_int(i));
	do {
		err = gh_store_put(cs, GH_TABLE_MAIN, item, &c_new);
	} while (err == GH_ERR_THROTTLED && (backoff(i), 1));
	json_object_put(item);
	return err == GH_OK ? 0 : err == GH_ERR_CONFLICT ? 1 : 2;
}

static void
test_concurrency(void)
{
	int		 st[64], i, winners, losers, winner = -1, round;
	json_object	*got = NULL;
	int64_t		 v;

	K(shared_pk, sizeof(shared_pk), "conc");
	T(putj(GH_TABLE_MAIN, &c_new, &v, "{\"PK\":\"%s\",\"SK\":\"counter\","
	    "\"n\":0}", shared_pk) == GH_OK, "counter created");
	T(run_children(NPROC_INC, child_increment, st) == 0,
	    "%d processes incremented", NPROC_INC);
	for (i = 0, winners = 0; i < NPROC_INC; i++)
		winners += st[i] == 0;
	T(winners == NPROC_INC, "every incrementer finished (%d/%d)",
	    winners, NPROC_INC);
	T(s != NULL && gh_store_get(s, GH_TABLE_MAIN, shared_pk, "counter",
	    &got) == GH_OK && geti(got, "n") == NPROC_INC * NINC &&
	    geti(got, "version") == NPROC_INC * NINC + 1,
	    "read-increment-write under GH_COND_VERSION: n %lld, version %lld "
	    "(want %d, %d)", (long long)geti(got, "n"),
	    (long long)geti(got, "version"), NPROC_INC * NINC,
	    NPROC_INC * NINC + 1);
	json_object_put(got);
	got = NULL;
	if (s == NULL)
		return;

	track(GH_TABLE_MAIN, shared_pk, "adder");
	T(run_children(NPROC_INC, child_add, st) == 0,
	    "%d processes added", NPROC_INC);
	T(s != NULL && gh_store_get(s, GH_TABLE_MAIN, shared_pk, "adder",
	    &got) == GH_OK && geti(got, "n") == NPROC_INC * NINC &&
	    geti(got, "version") == NPROC_INC * NINC,
	    "update add: n %lld, version %lld (want %d)",
	    (long long)geti(got, "n"), (long long)geti(got, "version"),
	    NPROC_INC * NINC);
	json_object_put(got);
	got = NULL;
	if (s == NULL)
		return;

	for (round = 0; round < 2; round++) {
		putj(GH_TABLE_MAIN, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"victim\","
		    "\"marker\":42}", shared_pk);
		T(run_children(NPROC_RACE, child_delete, st) == 0,
		    "%d processes raced to delete", NPROC_RACE);
		for (i = 0, winners = losers = 0; i < NPROC_RACE; i++) {
			winners += st[i] == 0;
			losers += st[i] == 1;
		}
		T(winners == 1 && losers == NPROC_RACE - 1,
		    "round %d: exactly one delete got the item (%d won, %d "
		    "not found)", round, winners, losers);
		if (s == NULL)
			return;
	}

	track(GH_TABLE_MAIN, shared_pk, "prize");
	T(run_children(NPROC_RACE, child_create, st) == 0,
	    "%d processes raced to create", NPROC_RACE);
	for (i = 0, winners = losers = 0; i < NPROC_RACE; i++) {
		if (st[i] == 0) {
			winners++;
			winner = i;
		}
		losers += st[i] == 1;
	}
	T(winners == 1 && losers == NPROC_RACE - 1,
	    "exactly one NOT_EXISTS put won (%d won, %d conflicts)", winners,
	    losers);
	T(s != NULL && gh_store_get(s, GH_TABLE_MAIN, shared_pk, "prize",
	    &got) == GH_OK && geti(got, "owner") == winner &&
	    geti(got, "version") == 1, "the stored item is the winner's");
	json_object_put(got);
}

/* ------------------------------------------------------------------ */

static int
setup(void)
{
	const char	*path, *msg = NULL;
	char		 file[128];
	FILE		*f;
	unsigned	 r;

	now = (int64_t)time(NULL);
	srand((unsigned)(now ^ getpid()));
	r = (unsigned)rand();
	snprintf(pfx, sizeof(pfx), "test-store-%lld-%d-%x/", (long long)now,
	    (int)getpid(), r);
	if ((path = getenv("GATEHOUSE_CONFIG")) != NULL && path[0] != '\0') {
		if (gh_conf_load(path, 0, &conf, &msg) != GH_OK) {
			fprintf(stderr, "%s: %s\n", path, msg ? msg : "?");
			return -1;
		}
	} else {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/gh-test-store-XXXXXX");
		if (mkdtemp(tmpdir) == NULL) {
			perror("mkdtemp");
			tmpdir[0] = '\0';
			return -1;
		}
		snprintf(file, sizeof(file), "%s/gatehouse.conf", tmpdir);
		if ((f = fopen(file, "w")) == NULL) {
			perror(file);
			return -1;
		}
		fprintf(f, "store = sqlite\nsqlite_path = store.db\n"
		    "sqlite_busy_ms = 10000\n");
		fclose(f);
		if (gh_conf_load(file, 0, &conf, &msg) != GH_OK) {
			fprintf(stderr, "%s: %s\n", file, msg ? msg : "?");
			return -1;
		}
	}
	if (gh_store_open(conf, &s) != GH_OK) {
		fprintf(stderr, "open: %s\n", gh_store_errmsg(NULL));
		return -1;
	}
	printf("# store %s, key prefix %s\n",
	    gh_conf_str(conf, GH_CONF_STORE), pfx);
	return 0;
}

static void
teardown(void)
{
	static const char *const files[] = {
		"gatehouse.conf", "store.db", "store.db-wal", "store.db-shm",
	};
	char		 path[160];
	size_t		 i;

	for (i = 0; i < ntracked; i++) {
		if (s != NULL)
			gh_store_delete(s, tracked[i].t, tracked[i].pk,
			    tracked[i].sk, NULL, NULL);
		free(tracked[i].pk);
		free(tracked[i].sk);
	}
	free(tracked);
	gh_store_free(s);
	gh_conf_free(conf);
	if (tmpdir[0] != '\0') {
		for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
			unlink(path);
		}
		rmdir(tmpdir);
	}
}

/*
 * q.text: the same page as JSON strings, each the item's compact JSON text
 * (json-c's plain form) without "version"; expired items absent as ever.
 */
static void
test_query_text(void)
{
	struct gh_query	 q;
	struct gh_page	 po = { NULL, NULL }, pt = { NULL, NULL };
	json_object	*o, *t, *back;
	char		 pk[128];
	const char	*want;
	size_t		 i, n;
	int64_t		 v;
	int		 ok = 1;

	K(pk, sizeof(pk), "qtext");
	putj(GH_TABLE_MAIN, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"a\",\"s\":"
	    "\"q\\\"uote \\\\ / \\u0001 \\n \xc3\xa9\",\"n\":1.50,\"i\":-3,"
	    "\"o\":{\"x\":[1,{},[]],\"y\":null},\"b\":true}", pk);
	putj(GH_TABLE_MAIN, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"b\",\"GSI1PK\":"
	    "\"g\",\"GSI1SK\":\"h\",\"expires_at\":%lld}", pk,
	    (long long)time(NULL) + 3600);
	putj(GH_TABLE_MAIN, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"c\","
	    "\"expires_at\":1}", pk);
	putj(GH_TABLE_MAIN, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"d\",\"k\":1}", pk);
	putj(GH_TABLE_MAIN, NULL, &v, "{\"PK\":\"%s\",\"SK\":\"d\",\"k\":2}", pk);
	memset(&q, 0, sizeof(q));
	q.table = GH_TABLE_MAIN;
	q.index = GH_INDEX_BASE;
	q.pk = pk;
	q.skop = GH_SK_ANY;
	T(gh_store_query(s, &q, &po) == GH_OK, "text query: object page");
	q.text = 1;
	T(gh_store_query(s, &q, &pt) == GH_OK, "text query: text page");
	n = po.items != NULL ? json_object_array_length(po.items) : 0;
	T(n == 3 && pt.items != NULL &&
	    json_object_array_length(pt.items) == n,
	    "text query: same 3 live items (%zu)", n);
	for (i = 0; i < n && pt.items != NULL; i++) {
		o = json_object_array_get_idx(po.items, i);
		t = json_object_array_get_idx(pt.items, i);
		if (!json_object_is_type(t, json_type_string)) {
			ok = 0;
			break;
		}
		json_object_object_del(o, "version");
		want = json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		back = json_tokener_parse(json_object_get_string(t));
		if (strcmp(json_object_get_string(t), want) != 0 ||
		    back == NULL || has(back, "version")) {
			fprintf(stderr, "text %s\nwant %s\n",
			    json_object_get_string(t), want);
			ok = 0;
		}
		json_object_put(back);
	}
	T(ok, "text query: each the object's plain JSON, without version");
	gh_page_free(&po);
	gh_page_free(&pt);

	/* gh_store_get_text: the same text, and the version beside it. */
	{
		json_object	*g = NULL;
		char		*txt = NULL;
		size_t		 tl = 0;
		int64_t		 ver = -1, gv;

		T(gh_store_get(s, GH_TABLE_MAIN, pk, "d", &g) == GH_OK &&
		    gh_store_get_text(s, GH_TABLE_MAIN, pk, "d", &txt, &tl,
		    &ver) == GH_OK, "get_text: found");
		gv = g != NULL ? geti(g, "version") : -2;
		if (g != NULL)
			json_object_object_del(g, "version");
		T(g != NULL && txt != NULL && ver == gv && ver == 2 &&
		    strlen(txt) == tl && strcmp(txt, json_object_to_json_string_ext(g,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)) == 0,
		    "get_text: the item's plain JSON without version, version %lld",
		    (long long)ver);
		json_object_put(g);
		free(txt);
		txt = NULL;
		T(gh_store_get_text(s, GH_TABLE_MAIN, pk, "c", &txt, &tl, &ver) ==
		    GH_ERR_NOTFOUND && txt == NULL, "get_text: expired is absent");
		T(gh_store_get_text(s, GH_TABLE_MAIN, pk, "nope", &txt, &tl,
		    &ver) == GH_ERR_NOTFOUND, "get_text: absent");
	}
}

int
main(void)
{
	static void (*const cases[])(void) = {
		test_get_put, test_put_conditions, test_update, test_delete,
		test_query_base, test_query_gsi, test_query_gsi_move,
		test_cursors, test_expiry, test_batch_get, test_bad_inputs,
		test_snapshot, test_misc, test_concurrency, test_query_text,
	};
	size_t	 i;

	if (setup() != 0) {
		T(0, "open the store");
		teardown();
		return tests_done();
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]) && s != NULL; i++)
		cases[i]();
	T(s != NULL, "the store is still open");
	teardown();
	return tests_done();
}
