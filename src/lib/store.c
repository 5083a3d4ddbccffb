/*
 * store.c: the front of the storage interface (gh_store.h).
 *
 * It picks the backend the configuration names, checks every request once
 * (arguments, keys, reserved attributes, sizes, limits) so that both backends
 * receive only well-formed requests and reject bad ones identically, and
 * encodes and decodes query cursors.  The backends (store_sqlite.c,
 * store_dynamodb.c) implement struct gh_store_backend (store_impl.h).
 *
 * A cursor is the base64url (no padding) of a small JSON object:
 *   {"t":table,"i":index,"k":[pk,sk]}                  base table queries
 *   {"t":table,"i":index,"k":[pk,sk],"x":[ipk,isk]}    index queries
 * It comes back from clients, so it is decoded strictly: exact base64url,
 * strict JSON, exactly these members with these types, valid keys, and it
 * must belong to the query (same table, same index, same partition key).
 * It is not secret and needs no signature: a forged cursor can only move the
 * start of a query the caller was already allowed to make.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gh_conf.h"
#include "gh_crypto.h"
#include "gh_json.h"
#include "store_impl.h"

/*
 * The DynamoDB backend is linked when its source is in the tree.  While it
 * is not, the reference is weak and opening "dynamodb" is GH_ERR_CONFIG.  (A
 * weak reference alone would not do once it exists: the linker does not pull
 * an archive member in for a weak reference.)  The Makefile does not know
 * this dependency: when store_dynamodb.c first appears in a tree built
 * without it, rebuild store.o (make clean).
 */
#if defined(__has_include)
# if __has_include("store_dynamodb.c")
#  define GH_HAVE_DYNAMODB 1
# endif
#endif
#ifndef GH_HAVE_DYNAMODB
extern const struct gh_store_backend gh_store_dynamodb __attribute__((weak));
#endif

const char *const gh_table_names[GH_TABLE__MAX] = {
	[GH_TABLE_MAIN] = "main",
	[GH_TABLE_ORDERS] = "orders",
};

const char *const gh_index_names[GH_INDEX__MAX] = {
	[GH_INDEX_BASE] = "",
	[GH_INDEX_GSI1] = "GSI1",
	[GH_INDEX_GSI2] = "GSI2",
	[GH_INDEX_GSI3] = "GSI3",
};

const char *const gh_index_pk[GH_INDEX__MAX] = {
	[GH_INDEX_BASE] = "PK",
	[GH_INDEX_GSI1] = "GSI1PK",
	[GH_INDEX_GSI2] = "GSI2PK",
	[GH_INDEX_GSI3] = "GSI3PK",
};

const char *const gh_index_sk[GH_INDEX__MAX] = {
	[GH_INDEX_BASE] = "SK",
	[GH_INDEX_GSI1] = "GSI1SK",
	[GH_INDEX_GSI2] = "GSI2SK",
	[GH_INDEX_GSI3] = "GSI3SK",
};

/* Longest cursor accepted from a client (4 keys, JSON-escaped, base64). */
#define CURSOR_MAX	(64 * 1024)

/* Serialisation used for size checks and by the backends. */
#define ITEM_JSON_FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* The message of the last failed gh_store_open (gh_store_errmsg(NULL)). */
static char open_errmsg[256];

static const struct gh_cond cond_none = { GH_COND_NONE, 0 };

enum gh_err
gh_store_fail(struct gh_store *s, enum gh_err err, const char *fmt, ...)
{
	va_list	 ap;

	if (s == NULL)
		return err;
	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

int64_t
gh_store_now(void)
{
	return (int64_t)time(NULL);
}

int
gh_store_item_expired(json_object *item, int64_t now)
{
	json_object	*v;

	if (!json_object_object_get_ex(item, "expires_at", &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_int64(v) <= now;
}

void
gh_cursor_clear(struct gh_cursor *c)
{
	if (c == NULL)
		return;
	free(c->pk);
	free(c->sk);
	free(c->ipk);
	free(c->isk);
	c->pk = c->sk = c->ipk = c->isk = NULL;
}

/* 1 if s[0..len) is well-formed UTF-8 (no overlongs, surrogates, > U+10FFFF). */
static int
utf8_ok(const char *str, size_t len)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 i = 0, n, k;
	uint32_t		 cp;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			n = 1;
			cp = s[i] & 0x1f;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			n = 2;
			cp = s[i] & 0x0f;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			n = 3;
			cp = s[i] & 0x07;
		} else
			return 0;
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		i += n + 1;
	}
	return 1;
}

/* A key value: 1..GH_STORE_KEY_MAX bytes of UTF-8 (so no NUL). */
static int
key_ok(const char *k)
{
	size_t	 n;

	if (k == NULL)
		return 0;
	n = strnlen(k, GH_STORE_KEY_MAX + 1);
	return n >= 1 && n <= GH_STORE_KEY_MAX && utf8_ok(k, n);
}

/* The same for a json string (which may hold NUL bytes). */
static int
jkey_ok(json_object *v)
{
	const char	*str;
	int		 n;

	if (!json_object_is_type(v, json_type_string))
		return 0;
	str = json_object_get_string(v);
	n = json_object_get_string_len(v);
	return n >= 1 && n <= GH_STORE_KEY_MAX &&
	    memchr(str, '\0', (size_t)n) == NULL && utf8_ok(str, (size_t)n);
}

static int
is_key_attr(const char *name)
{
	return strcmp(name, "PK") == 0 || strcmp(name, "SK") == 0 ||
	    strcmp(name, "version") == 0;
}

static int
is_index_attr(const char *name)
{
	int	 i;

	for (i = GH_INDEX_GSI1; i < GH_INDEX__MAX; i++)
		if (strcmp(name, gh_index_pk[i]) == 0 ||
		    strcmp(name, gh_index_sk[i]) == 0)
			return 1;
	return 0;
}

/*
 * Checks one top-level attribute's name and, for reserved ones, its type.
 * PK, SK and version are checked by the callers.
 */
static enum gh_err
check_attr(struct gh_store *s, const char *name, json_object *v)
{
	if (name[0] == '\0')
		return gh_store_fail(s, GH_ERR_INVAL, "empty attribute name");
	if (!utf8_ok(name, strlen(name)))
		return gh_store_fail(s, GH_ERR_INVAL,
		    "attribute name is not UTF-8");
	if (is_index_attr(name) && !jkey_ok(v))
		return gh_store_fail(s, GH_ERR_INVAL,
		    "%s must be a string of 1..%d bytes", name,
		    GH_STORE_KEY_MAX);
	if (strcmp(name, "expires_at") == 0 &&
	    !json_object_is_type(v, json_type_int))
		return gh_store_fail(s, GH_ERR_INVAL,
		    "expires_at must be an integer");
	return GH_OK;
}

/* The serialised size and encoding of a whole item or a set object. */
static enum gh_err
check_size(struct gh_store *s, json_object *obj)
{
	const char	*js;
	size_t		 len;

	js = json_object_to_json_string_length(obj, ITEM_JSON_FLAGS, &len);
	if (js == NULL)
		return gh_store_fail(s, GH_ERR_NOMEM, "serialising item");
	if (len > GH_STORE_ITEM_MAX)
		return gh_store_fail(s, GH_ERR_INVAL,
		    "item of %zu bytes exceeds %d", len, GH_STORE_ITEM_MAX);
	if (!utf8_ok(js, len))
		return gh_store_fail(s, GH_ERR_INVAL, "item is not UTF-8");
	return GH_OK;
}

enum gh_err
gh_store_check_item(struct gh_store *s, json_object *item)
{
	json_object	*v;
	enum gh_err	 err;

	if (!json_object_is_type(item, json_type_object))
		return gh_store_fail(s, GH_ERR_INVAL, "item is not an object");
	if (!json_object_object_get_ex(item, "PK", &v) || !jkey_ok(v))
		return gh_store_fail(s, GH_ERR_INVAL,
		    "PK must be a string of 1..%d bytes", GH_STORE_KEY_MAX);
	if (!json_object_object_get_ex(item, "SK", &v) || !jkey_ok(v))
		return gh_store_fail(s, GH_ERR_INVAL,
		    "SK must be a string of 1..%d bytes", GH_STORE_KEY_MAX);
	if (json_object_object_get_ex(item, "version", &v) &&
	    !json_object_is_type(v, json_type_int))
		return gh_store_fail(s, GH_ERR_INVAL,
		    "version must be an integer");
	json_object_object_foreach(item, name, val)
		if ((err = check_attr(s, name, val)) != GH_OK)
			return err;
	return check_size(s, item);
}

static enum gh_err
check_table(struct gh_store *s, enum gh_table t)
{
	if ((unsigned)t >= GH_TABLE__MAX)
		return gh_store_fail(s, GH_ERR_INVAL, "no such table");
	return GH_OK;
}

static enum gh_err
check_key(struct gh_store *s, const char *pk, const char *sk)
{
	if (!key_ok(pk))
		return gh_store_fail(s, GH_ERR_INVAL,
		    "partition key must be 1..%d bytes of UTF-8",
		    GH_STORE_KEY_MAX);
	if (!key_ok(sk))
		return gh_store_fail(s, GH_ERR_INVAL,
		    "sort key must be 1..%d bytes of UTF-8", GH_STORE_KEY_MAX);
	return GH_OK;
}

/* Returns the condition to hand to the backend (NULL means none). */
static enum gh_err
check_cond(struct gh_store *s, const struct gh_cond **cond)
{
	if (*cond == NULL)
		*cond = &cond_none;
	if ((unsigned)(*cond)->type >= GH_COND__MAX)
		return gh_store_fail(s, GH_ERR_INVAL, "bad condition");
	return GH_OK;
}

static int
name_in(const char *name, json_object *obj)
{
	return obj != NULL && json_object_object_get_ex(obj, name, NULL);
}

static enum gh_err
check_update(struct gh_store *s, const struct gh_update *u)
{
	enum gh_err	 err;
	size_t		 i, j;

	if (u->set != NULL) {
		if (!json_object_is_type(u->set, json_type_object))
			return gh_store_fail(s, GH_ERR_INVAL,
			    "update set is not an object");
		json_object_object_foreach(u->set, name, val) {
			if (is_key_attr(name))
				return gh_store_fail(s, GH_ERR_INVAL,
				    "update may not set %s", name);
			if ((err = check_attr(s, name, val)) != GH_OK)
				return err;
		}
		if ((err = check_size(s, u->set)) != GH_OK)
			return err;
	}
	if (u->nremove > 0 && u->remove == NULL)
		return gh_store_fail(s, GH_ERR_INVAL, "update remove is NULL");
	for (i = 0; i < u->nremove; i++) {
		if (u->remove[i] == NULL || u->remove[i][0] == '\0')
			return gh_store_fail(s, GH_ERR_INVAL,
			    "empty attribute name");
		if (is_key_attr(u->remove[i]))
			return gh_store_fail(s, GH_ERR_INVAL,
			    "update may not remove %s", u->remove[i]);
		if (name_in(u->remove[i], u->set) ||
		    name_in(u->remove[i], u->add))
			return gh_store_fail(s, GH_ERR_INVAL,
			    "update names %s twice", u->remove[i]);
		for (j = 0; j < i; j++)
			if (strcmp(u->remove[i], u->remove[j]) == 0)
				return gh_store_fail(s, GH_ERR_INVAL,
				    "update names %s twice", u->remove[i]);
	}
	if (u->add != NULL) {
		if (!json_object_is_type(u->add, json_type_object))
			return gh_store_fail(s, GH_ERR_INVAL,
			    "update add is not an object");
		json_object_object_foreach(u->add, name, val) {
			if (is_key_attr(name) || is_index_attr(name))
				return gh_store_fail(s, GH_ERR_INVAL,
				    "update may not add to %s", name);
			if (name[0] == '\0' ||
			    !utf8_ok(name, strlen(name)))
				return gh_store_fail(s, GH_ERR_INVAL,
				    "bad attribute name");
			if (!json_object_is_type(val, json_type_int))
				return gh_store_fail(s, GH_ERR_INVAL,
				    "update add %s: not an integer", name);
			if (name_in(name, u->set))
				return gh_store_fail(s, GH_ERR_INVAL,
				    "update names %s twice", name);
		}
	}
	return GH_OK;
}

static enum gh_err cursor_encode(struct gh_store *, const struct gh_query *,
    const struct gh_cursor *, char **);

/*
 * Decodes and checks a client's cursor against the query.  Only the
 * canonical encoding (the one cursor_encode makes) is accepted, so a cursor
 * has exactly one spelling.
 */
static enum gh_err
cursor_decode(struct gh_store *s, const struct gh_query *q,
    struct gh_cursor *c)
{
	unsigned char	*raw = NULL;
	char		*canon = NULL;
	size_t		 rawlen, slen, nmemb;
	json_tokener	*tok = NULL;
	json_object	*obj = NULL, *v, *k, *x = NULL;
	enum gh_err	 err = GH_ERR_INVAL;
	struct gh_cursor tmp = { NULL, NULL, NULL, NULL };

	slen = strnlen(q->cursor, CURSOR_MAX + 1);
	if (slen == 0 || slen > CURSOR_MAX)
		goto bad;
	if ((err = gh_b64url_decode(q->cursor, slen, &raw, &rawlen)) !=
	    GH_OK) {
		if (err == GH_ERR_NOMEM)
			goto out;
		goto bad;
	}
	err = GH_ERR_INVAL;
	if ((tok = json_tokener_new_ex(4)) == NULL) {
		err = GH_ERR_NOMEM;
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, (const char *)raw, (int)rawlen);
	if (obj == NULL ||
	    json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != rawlen ||
	    !json_object_is_type(obj, json_type_object))
		goto bad;

	nmemb = q->index == GH_INDEX_BASE ? 3 : 4;
	if ((size_t)json_object_object_length(obj) != nmemb)
		goto bad;
	if (!json_object_object_get_ex(obj, "t", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) != (int64_t)q->table)
		goto bad;
	if (!json_object_object_get_ex(obj, "i", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) != (int64_t)q->index)
		goto bad;
	if (!json_object_object_get_ex(obj, "k", &k) ||
	    !json_object_is_type(k, json_type_array) ||
	    json_object_array_length(k) != 2 ||
	    !jkey_ok(json_object_array_get_idx(k, 0)) ||
	    !jkey_ok(json_object_array_get_idx(k, 1)))
		goto bad;
	if (q->index != GH_INDEX_BASE &&
	    (!json_object_object_get_ex(obj, "x", &x) ||
	    !json_object_is_type(x, json_type_array) ||
	    json_object_array_length(x) != 2 ||
	    !jkey_ok(json_object_array_get_idx(x, 0)) ||
	    !jkey_ok(json_object_array_get_idx(x, 1))))
		goto bad;

	/* It must continue this very partition. */
	v = json_object_array_get_idx(q->index == GH_INDEX_BASE ? k : x, 0);
	if (strcmp(json_object_get_string(v), q->pk) != 0)
		goto bad;

	err = GH_ERR_NOMEM;
	tmp.pk = strdup(json_object_get_string(json_object_array_get_idx(k, 0)));
	tmp.sk = strdup(json_object_get_string(json_object_array_get_idx(k, 1)));
	if (tmp.pk == NULL || tmp.sk == NULL)
		goto out;
	if (x != NULL) {
		tmp.ipk = strdup(json_object_get_string(
		    json_object_array_get_idx(x, 0)));
		tmp.isk = strdup(json_object_get_string(
		    json_object_array_get_idx(x, 1)));
		if (tmp.ipk == NULL || tmp.isk == NULL)
			goto out;
	}
	if ((err = cursor_encode(s, q, &tmp, &canon)) != GH_OK)
		goto out;
	if (strcmp(canon, q->cursor) != 0)
		goto bad;
	*c = tmp;
	memset(&tmp, 0, sizeof(tmp));
	err = GH_OK;
	goto out;
bad:
	err = gh_store_fail(s, GH_ERR_INVAL, "invalid cursor");
out:
	free(canon);
	gh_cursor_clear(&tmp);
	json_object_put(obj);
	if (tok != NULL)
		json_tokener_free(tok);
	free(raw);
	return err;
}

static enum gh_err
cursor_encode(struct gh_store *s, const struct gh_query *q,
    const struct gh_cursor *c, char **out)
{
	json_object	*obj = NULL, *k = NULL, *x = NULL;
	const char	*js;
	size_t		 len;
	enum gh_err	 err = GH_ERR_NOMEM;

	if (c->pk == NULL || c->sk == NULL ||
	    (q->index != GH_INDEX_BASE && (c->ipk == NULL || c->isk == NULL))) {
		err = gh_store_fail(s, GH_ERR_INTERNAL,
		    "backend returned an incomplete cursor");
		goto out;
	}
	if ((obj = json_object_new_object()) == NULL ||
	    (k = json_object_new_array_ext(2)) == NULL)
		goto out;
	if (json_object_array_add(k, json_object_new_string(c->pk)) ||
	    json_object_array_add(k, json_object_new_string(c->sk)))
		goto out;
	if (q->index != GH_INDEX_BASE) {
		if ((x = json_object_new_array_ext(2)) == NULL ||
		    json_object_array_add(x, json_object_new_string(c->ipk)) ||
		    json_object_array_add(x, json_object_new_string(c->isk)))
			goto out;
	}
	if (json_object_object_add(obj, "t", json_object_new_int(q->table)) ||
	    json_object_object_add(obj, "i", json_object_new_int(q->index)))
		goto out;
	if (json_object_object_add(obj, "k", k))
		goto out;
	k = NULL;
	if (x != NULL) {
		if (json_object_object_add(obj, "x", x))
			goto out;
		x = NULL;
	}
	if ((js = json_object_to_json_string_length(obj, ITEM_JSON_FLAGS,
	    &len)) == NULL)
		goto out;
	err = gh_b64url_encode(js, len, out);
out:
	json_object_put(x);
	json_object_put(k);
	json_object_put(obj);
	return err;
}

enum gh_err
gh_store_open(const struct gh_conf *conf, struct gh_store **out)
{
	const struct gh_store_backend	*be = NULL;
	struct gh_store			*s = NULL;
	const char			*name;
	enum gh_err			 err;

	open_errmsg[0] = '\0';
	if (conf == NULL || out == NULL) {
		snprintf(open_errmsg, sizeof(open_errmsg), "no configuration");
		return GH_ERR_INVAL;
	}
	name = gh_conf_str(conf, GH_CONF_STORE);
	if (strcmp(name, "sqlite") == 0)
		be = &gh_store_sqlite;
	else if (strcmp(name, "dynamodb") == 0)
		be = &gh_store_dynamodb;	/* NULL if not linked */
	if (be == NULL) {
		snprintf(open_errmsg, sizeof(open_errmsg), "store \"%s\" is "
		    "not built in (no src/lib/store_%s.c when store.c was "
		    "compiled)", name, name);
		return GH_ERR_CONFIG;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(open_errmsg, sizeof(open_errmsg), "out of memory");
		return GH_ERR_NOMEM;
	}
	s->be = be;
	if ((err = be->open(s, conf)) != GH_OK) {
		if (s->errmsg[0] != '\0')
			snprintf(open_errmsg, sizeof(open_errmsg), "%s",
			    s->errmsg);
		else
			snprintf(open_errmsg, sizeof(open_errmsg), "%s: %s",
			    be->name, gh_strerror(err));
		gh_store_free(s);
		return err;
	}
	s->errmsg[0] = '\0';
	*out = s;
	return GH_OK;
}

void
gh_store_free(struct gh_store *s)
{
	if (s == NULL)
		return;
	if (s->impl != NULL) {
		gh_store_snapshot_end(s);
		s->be->close(s);
	}
	free(s);
}

const char *
gh_store_errmsg(const struct gh_store *s)
{
	return s == NULL ? open_errmsg : s->errmsg;
}

unsigned
gh_store_ops(const struct gh_store *s)
{
	return s == NULL ? 0 : s->ops;
}

void
gh_store_ops_reset(struct gh_store *s)
{
	if (s != NULL)
		s->ops = 0;
}

enum gh_err
gh_store_ping(struct gh_store *s)
{
	if (s == NULL)
		return GH_ERR_INVAL;
	return s->be->ping(s);
}

enum gh_err
gh_store_get(struct gh_store *s, enum gh_table t, const char *pk,
    const char *sk, json_object **out)
{
	enum gh_err	 err;

	if (s == NULL || out == NULL)
		return gh_store_fail(s, GH_ERR_INVAL, "NULL argument");
	if ((err = check_table(s, t)) != GH_OK ||
	    (err = check_key(s, pk, sk)) != GH_OK)
		return err;
	return s->be->get(s, t, pk, sk, out);
}

enum gh_err
gh_store_get_text(struct gh_store *s, enum gh_table t, const char *pk,
    const char *sk, char **text, size_t *len, int64_t *version)
{
	json_object	*item = NULL;
	const char	*js;
	size_t		 n;
	enum gh_err	 err;

	if (s == NULL || text == NULL || len == NULL || version == NULL)
		return gh_store_fail(s, GH_ERR_INVAL, "NULL argument");
	if ((err = check_table(s, t)) != GH_OK ||
	    (err = check_key(s, pk, sk)) != GH_OK)
		return err;
	if (s->be->get_text != NULL)
		return s->be->get_text(s, t, pk, sk, text, len, version);
	if ((err = s->be->get(s, t, pk, sk, &item)) != GH_OK)
		return err;
	err = GH_ERR_NOMEM;
	if (!gh_json_int(item, "version", version))
		*version = 0;
	json_object_object_del(item, "version");
	if ((js = json_object_to_json_string_length(item, ITEM_JSON_FLAGS,
	    &n)) != NULL && (*text = strndup(js, n)) != NULL) {
		*len = n;
		err = GH_OK;
	}
	json_object_put(item);
	return err;
}

void
gh_store_snapshot_begin(struct gh_store *s)
{
	if (s == NULL || s->snap || s->be->snapshot == NULL)
		return;
	s->be->snapshot(s, 1);
	s->snap = 1;
}

void
gh_store_snapshot_end(struct gh_store *s)
{
	if (s == NULL || !s->snap)
		return;
	s->snap = 0;
	s->be->snapshot(s, 0);
}

enum gh_err
gh_store_put(struct gh_store *s, enum gh_table t, json_object *item,
    const struct gh_cond *cond)
{
	enum gh_err	 err;

	if (s == NULL || item == NULL)
		return gh_store_fail(s, GH_ERR_INVAL, "NULL argument");
	if ((err = check_table(s, t)) != GH_OK ||
	    (err = check_cond(s, &cond)) != GH_OK ||
	    (err = gh_store_check_item(s, item)) != GH_OK)
		return err;
	gh_store_snapshot_end(s);
	return s->be->put(s, t, item, cond);
}

enum gh_err
gh_store_update(struct gh_store *s, enum gh_table t, const char *pk,
    const char *sk, const struct gh_update *u, const struct gh_cond *cond,
    json_object **out)
{
	enum gh_err	 err;

	if (s == NULL || u == NULL)
		return gh_store_fail(s, GH_ERR_INVAL, "NULL argument");
	if ((err = check_table(s, t)) != GH_OK ||
	    (err = check_key(s, pk, sk)) != GH_OK ||
	    (err = check_cond(s, &cond)) != GH_OK ||
	    (err = check_update(s, u)) != GH_OK)
		return err;
	gh_store_snapshot_end(s);
	return s->be->update(s, t, pk, sk, u, cond, out);
}

enum gh_err
gh_store_delete(struct gh_store *s, enum gh_table t, const char *pk,
    const char *sk, const struct gh_cond *cond, json_object **out)
{
	enum gh_err	 err;

	if (s == NULL)
		return GH_ERR_INVAL;
	if ((err = check_table(s, t)) != GH_OK ||
	    (err = check_key(s, pk, sk)) != GH_OK ||
	    (err = check_cond(s, &cond)) != GH_OK)
		return err;
	if (cond->type == GH_COND_NOT_EXISTS)
		return gh_store_fail(s, GH_ERR_INVAL,
		    "delete with a not-exists condition");
	gh_store_snapshot_end(s);
	return s->be->del(s, t, pk, sk, cond, out);
}

/* Replaces each item of items by its JSON text without "version" (q->text
 * for a backend that does not do it itself). */
static enum gh_err
items_as_text(json_object *items)
{
	json_object	*it, *str;
	const char	*js;
	size_t		 i, len;

	for (i = 0; i < json_object_array_length(items); i++) {
		it = json_object_array_get_idx(items, i);
		json_object_object_del(it, "version");
		if ((js = json_object_to_json_string_length(it,
		    ITEM_JSON_FLAGS,
		    &len)) == NULL ||
		    (str = json_object_new_string_len(js, (int)len)) == NULL)
			return GH_ERR_NOMEM;
		if (json_object_array_put_idx(items, i, str) != 0) {
			json_object_put(str);
			return GH_ERR_NOMEM;
		}
	}
	return GH_OK;
}

enum gh_err
gh_store_query(struct gh_store *s, const struct gh_query *q,
    struct gh_page *out)
{
	struct gh_query	 qq;
	struct gh_cursor start = { NULL, NULL, NULL, NULL };
	struct gh_cursor last = { NULL, NULL, NULL, NULL };
	json_object	*items = NULL;
	char		*cursor = NULL;
	int		 more = 0;
	enum gh_err	 err;

	if (s == NULL || q == NULL || out == NULL)
		return gh_store_fail(s, GH_ERR_INVAL, "NULL argument");
	if ((err = check_table(s, q->table)) != GH_OK)
		return err;
	if ((unsigned)q->index >= GH_INDEX__MAX ||
	    (unsigned)q->skop >= GH_SK__MAX)
		return gh_store_fail(s, GH_ERR_INVAL, "bad index or operator");
	if (!key_ok(q->pk))
		return gh_store_fail(s, GH_ERR_INVAL,
		    "partition key must be 1..%d bytes of UTF-8",
		    GH_STORE_KEY_MAX);
	if (q->skop != GH_SK_ANY && !key_ok(q->sk1))
		return gh_store_fail(s, GH_ERR_INVAL,
		    "sort key value must be 1..%d bytes of UTF-8",
		    GH_STORE_KEY_MAX);
	if (q->skop == GH_SK_BETWEEN &&
	    (!key_ok(q->sk2) || strcmp(q->sk1, q->sk2) > 0))
		return gh_store_fail(s, GH_ERR_INVAL,
		    "between needs sk1 <= sk2");
	if (q->limit > GH_STORE_PAGE_MAX)
		return gh_store_fail(s, GH_ERR_INVAL,
		    "limit over %d", GH_STORE_PAGE_MAX);
	qq = *q;
	if (qq.limit == 0)
		qq.limit = GH_STORE_PAGE_MAX;
	if (qq.skop == GH_SK_ANY)
		qq.sk1 = qq.sk2 = NULL;
	else if (qq.skop != GH_SK_BETWEEN)
		qq.sk2 = NULL;
	if (q->cursor != NULL &&
	    (err = cursor_decode(s, q, &start)) != GH_OK)
		return err;

	err = s->be->query(s, &qq, q->cursor != NULL ? &start : NULL,
	    &items, &last, &more);
	if (err != GH_OK)
		goto out;
	if (qq.text && !s->be->text_items && (err = items_as_text(items)) != GH_OK)
		goto out;
	if (more && (err = cursor_encode(s, &qq, &last, &cursor)) != GH_OK)
		goto out;
	out->items = items;
	out->cursor = cursor;
	items = NULL;
out:
	json_object_put(items);
	gh_cursor_clear(&last);
	gh_cursor_clear(&start);
	return err;
}

void
gh_page_free(struct gh_page *p)
{
	if (p == NULL)
		return;
	json_object_put(p->items);
	free(p->cursor);
	p->items = NULL;
	p->cursor = NULL;
}

enum gh_err
gh_store_batch_get(struct gh_store *s, enum gh_table t,
    const struct gh_key *keys, size_t n, json_object **out)
{
	enum gh_err	 err;
	size_t		 i, j;

	if (s == NULL || out == NULL || (keys == NULL && n > 0))
		return gh_store_fail(s, GH_ERR_INVAL, "NULL argument");
	if ((err = check_table(s, t)) != GH_OK)
		return err;
	if (n > GH_STORE_BATCH_MAX)
		return gh_store_fail(s, GH_ERR_INVAL,
		    "more than %d keys", GH_STORE_BATCH_MAX);
	for (i = 0; i < n; i++) {
		if ((err = check_key(s, keys[i].pk, keys[i].sk)) != GH_OK)
			return err;
		/* DynamoDB refuses duplicate keys in one batch. */
		for (j = 0; j < i; j++)
			if (strcmp(keys[i].pk, keys[j].pk) == 0 &&
			    strcmp(keys[i].sk, keys[j].sk) == 0)
				return gh_store_fail(s, GH_ERR_INVAL,
				    "duplicate key in batch");
	}
	if (n == 0) {
		if ((*out = json_object_new_array()) == NULL)
			return GH_ERR_NOMEM;
		return GH_OK;
	}
	return s->be->batch_get(s, t, keys, n, out);
}
