/*
 * market.c: the marketplace's entities (gh_market.h): keys and indexes of
 * solutions and partner applications, the solution life cycle, user role
 * and status changes, order pricing, the list replies every marketplace
 * route shares, the demo catalog and the validators of marketplace fields.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "gh_crypto.h"
#include "gh_http.h"
#include "gh_json.h"
#include "gh_market.h"
#include "gh_store.h"

const char *const gh_sol_status_names[GH_SOL__MAX] = {
	"draft", "published", "retired",
};

const char *const gh_app_status_names[GH_APP__MAX] = {
	"pending", "approved", "rejected",
};

int
gh_market_enum(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

int
gh_market_sol_move(enum gh_sol_status from, enum gh_sol_status to, int admin)
{
	if (from >= GH_SOL__MAX || to >= GH_SOL__MAX)
		return 0;
	if (from == to)
		return 1;
	if (to == GH_SOL_RETIRED)
		return 1;
	if (from == GH_SOL_RETIRED)
		return admin && to == GH_SOL_DRAFT;
	return 1;	/* draft <-> published */
}

void
gh_market_now(char out[GH_MARKET_TS_LEN])
{
	struct timeval	tv;
	struct tm	tm;
	char		buf[24];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, GH_MARKET_TS_LEN, "%s.%03dZ", buf, (int)(tv.tv_usec / 1000));
}

enum gh_err
gh_market_new_id(char out[GH_MARKET_ID_LEN])
{
	unsigned char	b[16];
	enum gh_err	err;

	if ((err = gh_random_bytes(b, sizeof(b))) != GH_OK)
		return err;
	gh_hex_encode(b, sizeof(b), out);
	out[32] = '\0';
	return GH_OK;
}

enum gh_err
gh_market_new_seq_id(char out[GH_MARKET_SEQ_ID_LEN])
{
	struct timeval	tv;
	struct tm	tm;
	unsigned char	b[8];
	char		hex[17], ts[16];
	enum gh_err	err;

	if ((err = gh_random_bytes(b, sizeof(b))) != GH_OK)
		return err;
	gh_hex_encode(b, sizeof(b), hex);
	hex[16] = '\0';
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y%m%d%H%M%S", &tm);
	snprintf(out, GH_MARKET_SEQ_ID_LEN, "%.14s%06u-%.16s", ts,
	    (unsigned)tv.tv_usec % 1000000u, hex);
	return GH_OK;
}

/*
 * Attributes only the store and the key layout use: PK, SK, GSI[1-3]PK,
 * GSI[1-3]SK, version, expires_at.  k[0..len), k need not end there.
 */
static inline int
internal_attr(const char *k, size_t len)
{
	switch (len) {
	case 2:
		return (k[0] == 'P' || k[0] == 'S') && k[1] == 'K';
	case 6:
		return memcmp(k, "GSI", 3) == 0 && k[3] >= '1' && k[3] <= '3' &&
		    (k[4] == 'P' || k[4] == 'S') && k[5] == 'K';
	case 7:
		return memcmp(k, "version", 7) == 0;
	case 10:
		return memcmp(k, "expires_at", 10) == 0;
	default:
		return 0;
	}
}

json_object *
gh_market_view(json_object *item)
{
	json_object	*v;
	const char	*sk = gh_json_str(item, "SK"), *sub;

	if ((v = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_foreach(item, k, val) {
		if (internal_attr(k, strlen(k)))
			continue;
		if (json_object_object_add(v, k, json_object_get(val)) != 0) {
			json_object_put(val);
			json_object_put(v);
			return NULL;
		}
	}
	if (sk != NULL && strcmp(sk, "user") == 0 &&
	    (sub = gh_json_str(item, "sub")) != NULL &&
	    gh_json_add_str(v, "user_id", sub) != GH_OK) {
		json_object_put(v);
		return NULL;
	}
	return v;
}

/* Sets key attribute name to the printf-formatted value. */
static enum gh_err
set_key(json_object *o, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum gh_err
set_key(json_object *o, const char *name, const char *fmt, ...)
{
	char	buf[GH_STORE_KEY_MAX + 1];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return GH_ERR_INVAL;
	return gh_json_add_str(o, name, buf);
}

enum gh_err
gh_market_solution_keys(json_object *sol)
{
	const char	*id = gh_json_str(sol, "solution_id");
	const char	*partner = gh_json_str(sol, "partner_id");
	const char	*cat = gh_json_str(sol, "category");
	const char	*st = gh_json_str(sol, "status");
	const char	*ts = gh_json_str(sol, "created_at");
	enum gh_err	 err;

	if (id == NULL || partner == NULL || cat == NULL || st == NULL || ts == NULL)
		return GH_ERR_INVAL;
	if ((err = set_key(sol, "PK", "solution-%s", id)) != GH_OK ||
	    (err = set_key(sol, "SK", "solution")) != GH_OK ||
	    (err = set_key(sol, "GSI1PK", "partner-%s", partner)) != GH_OK ||
	    (err = set_key(sol, "GSI1SK", "%s-%s", ts, id)) != GH_OK ||
	    (err = set_key(sol, "GSI2PK", "category-%s", cat)) != GH_OK ||
	    (err = set_key(sol, "GSI2SK", "%s-%s-%s", st, ts, id)) != GH_OK ||
	    (err = set_key(sol, "GSI3PK", "solutions")) != GH_OK ||
	    (err = set_key(sol, "GSI3SK", "%s-%s-%s", st, ts, id)) != GH_OK)
		return err;
	return GH_OK;
}

enum gh_err
gh_market_app_keys(json_object *app)
{
	const char	*id = gh_json_str(app, "app_id");
	const char	*user = gh_json_str(app, "user_id");
	const char	*st = gh_json_str(app, "status");
	const char	*ts = gh_json_str(app, "created_at");
	enum gh_err	 err;

	if (id == NULL || user == NULL || st == NULL || ts == NULL)
		return GH_ERR_INVAL;
	if ((err = set_key(app, "PK", "user-%s", user)) != GH_OK ||
	    (err = set_key(app, "SK", "partnerapp-%s", id)) != GH_OK ||
	    (err = set_key(app, "GSI1PK", "partnerapp-%s", id)) != GH_OK ||
	    (err = set_key(app, "GSI1SK", "partnerapp")) != GH_OK ||
	    (err = set_key(app, "GSI2PK", "partnerapps-%s", st)) != GH_OK ||
	    (err = set_key(app, "GSI2SK", "%s-%s", ts, id)) != GH_OK ||
	    (err = set_key(app, "GSI3PK", "partnerapps")) != GH_OK ||
	    (err = set_key(app, "GSI3SK", "%s-%s", ts, id)) != GH_OK)
		return err;
	return GH_OK;
}

enum gh_err
gh_market_user_set(struct gh_store *s, const char *sub, const char *role,
    const char *status, const char *only_if_role, json_object **out)
{
	json_object	*user = NULL, *set = NULL;
	struct gh_update u;
	struct gh_cond	 cond;
	char		 pk[GH_STORE_KEY_MAX + 1], ts[GH_MARKET_TS_LEN];
	const char	*cur;
	int64_t		 version;
	int		 tries;
	enum gh_err	 err = GH_ERR_INVAL;

	if ((role != NULL && gh_market_enum(gh_role_names, GH_ROLE__MAX, role) < 0) ||
	    (status != NULL && strcmp(status, "active") != 0 &&
	    strcmp(status, "suspended") != 0))
		return GH_ERR_INVAL;
	if (snprintf(pk, sizeof(pk), "user-%s", sub) >= (int)sizeof(pk))
		return GH_ERR_INVAL;
	for (tries = 0; tries < 5; tries++) {
		json_object_put(user);
		json_object_put(set);
		user = set = NULL;
		if ((err = gh_store_get(s, GH_TABLE_MAIN, pk, "user", &user)) != GH_OK)
			goto out;
		if (!gh_json_int(user, "version", &version)) {
			err = GH_ERR_INTERNAL;
			goto out;
		}
		cur = gh_json_str(user, "role");
		err = GH_ERR_NOMEM;
		gh_market_now(ts);
		if ((set = json_object_new_object()) == NULL ||
		    gh_json_add_str(set, "updated_at", ts) != GH_OK)
			goto out;
		if (role != NULL && (only_if_role == NULL ||
		    (cur != NULL && strcmp(cur, only_if_role) == 0)) &&
		    ((err = gh_json_add_str(set, "role", role)) != GH_OK ||
		    (err = set_key(set, "GSI2PK", "role-%s", role)) != GH_OK))
			goto out;
		if (status != NULL &&
		    (err = gh_json_add_str(set, "status", status)) != GH_OK)
			goto out;
		memset(&u, 0, sizeof(u));
		u.set = set;
		cond.type = GH_COND_VERSION;
		cond.version = version;
		json_object_put(user);
		user = NULL;
		err = gh_store_update(s, GH_TABLE_MAIN, pk, "user", &u, &cond, &user);
		if (err != GH_ERR_CONFLICT)
			break;
	}
	if (err == GH_OK && out != NULL) {
		*out = user;
		user = NULL;
	}
out:
	json_object_put(set);
	json_object_put(user);
	return err;
}

size_t
gh_market_lines(json_object *items, struct gh_order_line *lines)
{
	size_t		 i, n = json_object_array_length(items);
	json_object	*it;
	int64_t		 q = 0;

	if (n > GH_MARKET_LINES_MAX)
		n = GH_MARKET_LINES_MAX;
	for (i = 0; i < n; i++) {
		it = json_object_array_get_idx(items, i);
		lines[i].solution_id = gh_json_str(it, "solution_id");
		gh_json_int(it, "quantity", &q);
		lines[i].quantity = q;
	}
	return n;
}

enum gh_err
gh_market_order_price(const struct gh_order_line *lines, size_t n,
    json_object *solutions, json_object **details, size_t *bad)
{
	json_object	*d = NULL, *arr = NULL, *line, *sol, *pricing;
	const char	*cur = NULL, *c, *id;
	int64_t		 total = 0, price, sum;
	size_t		 i, j;
	enum gh_err	 err = GH_ERR_NOMEM;

	if ((d = json_object_new_object()) == NULL ||
	    (arr = json_object_new_array()) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		*bad = i;
		sol = NULL;
		for (j = 0; j < json_object_array_length(solutions); j++) {
			id = gh_json_str(json_object_array_get_idx(solutions, j),
			    "solution_id");
			if (id != NULL && strcmp(id, lines[i].solution_id) == 0) {
				sol = json_object_array_get_idx(solutions, j);
				break;
			}
		}
		err = GH_ERR_NOTFOUND;
		if (sol == NULL || gh_json_str(sol, "status") == NULL ||
		    strcmp(gh_json_str(sol, "status"), "published") != 0 ||
		    !json_object_object_get_ex(sol, "pricing", &pricing) ||
		    !gh_json_int(pricing, "amount", &price) ||
		    (c = gh_json_str(pricing, "currency")) == NULL ||
		    price < 0 || price > GH_MARKET_PRICE_MAX)
			goto out;
		err = GH_ERR_CONFLICT;
		if (cur == NULL)
			cur = c;
		else if (strcmp(cur, c) != 0)
			goto out;
		err = GH_ERR_TOOLARGE;
		if (lines[i].quantity < 1 || lines[i].quantity > GH_MARKET_QUANTITY_MAX ||
		    __builtin_mul_overflow(price, lines[i].quantity, &sum) ||
		    __builtin_add_overflow(total, sum, &total) ||
		    total > GH_MARKET_AMOUNT_MAX)
			goto out;
		err = GH_ERR_NOMEM;
		if ((line = json_object_new_object()) == NULL)
			goto out;
		if (json_object_array_add(arr, line) != 0) {
			json_object_put(line);
			goto out;
		}
		if (gh_json_add_str(line, "solution_id", lines[i].solution_id) != GH_OK ||
		    gh_json_add_str(line, "name", gh_json_str(sol, "name") ?
		    gh_json_str(sol, "name") : "") != GH_OK ||
		    gh_json_add_int(line, "quantity", lines[i].quantity) != GH_OK ||
		    gh_json_add_int(line, "price", price) != GH_OK)
			goto out;
	}
	err = GH_ERR_INVAL;
	if (n == 0)
		goto out;
	err = GH_ERR_NOMEM;
	if (gh_json_add_int(d, "amount", total) != GH_OK ||
	    gh_json_add_str(d, "currency", cur) != GH_OK ||
	    json_object_object_add(d, "items", arr) != 0)
		goto out;
	arr = NULL;
	*details = d;
	d = NULL;
	err = GH_OK;
out:
	json_object_put(arr);
	json_object_put(d);
	return err;
}

/*
 * The text path of the list replies.  The page's items come from the store
 * as their stored JSON text, written by json-c in its plain form; a view is
 * that text without its internal members, so instead of parsing every item
 * into objects, copying the view and serialising it again, the members are
 * scanned and copied as they are: the reply is byte for byte the one the
 * object path builds.  Anything the scanner does not expect (a key with an
 * escape, odd nesting, whitespace, a user item, which gains "user_id") sends
 * that item through json-c as before.
 */

/* See gh_market.h: 0 sends the item through view_slow. */
int
gh_market_view_text(struct printbuf *pb, const char *t, size_t n)
{
	struct gh_json_member	 m[GH_JSON_TEXT_MEMBERS_MAX];
	const char		*run[GH_JSON_TEXT_MEMBERS_MAX], *end[GH_JSON_TEXT_MEMBERS_MAX];
	const char		*from, *to;
	char			*o;
	size_t			 nr = 0, j, len;
	int			 cnt, i;

	if ((cnt = gh_json_text_members(t, n, m, sizeof(m) / sizeof(m[0]))) < 0 ||
	    n > INT32_MAX / 2)
		return 0;
	/*
	 * The kept members, "key":value as they stand in the text: members
	 * kept one after the other are one run of the text, their commas
	 * included.  A run but the first starts at the comma before it; the
	 * first at the text's '{' when it is the first member; the last ends
	 * at the text's '}' when it is the last.
	 */
	for (i = 0; i < cnt; i++) {
		if (internal_attr(m[i].key, m[i].klen)) {
			if (m[i].klen == 2 && m[i].key[0] == 'S' && m[i].vlen == 6 &&
			    memcmp(m[i].val, "\"user\"", 6) == 0)
				return 0;	/* a user's view gains user_id */
			continue;
		}
		if (nr > 0 && m[i].key - 2 == end[nr - 1]) {
			end[nr - 1] = m[i].val + m[i].vlen;
			continue;
		}
		run[nr] = m[i].key - 2;		/* its '{' or ',' */
		end[nr++] = m[i].val + m[i].vlen;
	}
	/*
	 * Written straight into pb's buffer (json-c's struct printbuf is
	 * public): the view is at most n + 1 bytes; printbuf_memset grows it.
	 */
	if ((size_t)(pb->size - pb->bpos) <= n + 2) {
		len = (size_t)pb->bpos;
		if (printbuf_memset(pb, -1, 0, (int)n + 2) < 0)
			return 0;
		pb->bpos = (int)len;
	}
	o = pb->buf + pb->bpos;
	if (nr == 0 || run[0] != t)
		*o++ = '{';
	for (j = 0; j < nr; j++) {
		from = run[j] + (j == 0 && run[0] != t);	/* not its ',' */
		to = end[j] + (j == nr - 1 && end[j] == t + n - 1); /* the '}' */
		memcpy(o, from, (size_t)(to - from));
		o += to - from;
	}
	if (nr == 0 || end[nr - 1] != t + n - 1)
		*o++ = '}';
	*o = '\0';
	pb->bpos = (int)(o - pb->buf);
	return 1;
}

/* The object path for one item's text: parse, view, serialise. */
static enum gh_err
view_slow(struct printbuf *pb, const char *t, size_t n)
{
	json_tokener	*tok = NULL;
	json_object	*item = NULL, *v = NULL;
	const char	*js;
	size_t		 len;
	enum gh_err	 err = GH_ERR_STORE;

	if ((tok = json_tokener_new()) == NULL) {
		err = GH_ERR_NOMEM;
		goto out;
	}
	item = json_tokener_parse_ex(tok, t, (int)n);
	if (item == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(item, json_type_object))
		goto out;
	err = GH_ERR_NOMEM;
	if ((v = gh_market_view(item)) == NULL ||
	    (js = json_object_to_json_string_length(v, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len)) == NULL)
		goto out;
	printbuf_memappend(pb, js, (int)len);
	err = GH_OK;
out:
	json_object_put(v);
	json_object_put(item);
	if (tok != NULL)		/* json-c's free takes no NULL */
		json_tokener_free(tok);
	return err;
}

/* The answer to a failed list query: a cursor of another list is 400. */
static void
reply_query_fail(struct gh_req *r, const struct gh_query *q, enum gh_err err)
{
	if (err == GH_ERR_INVAL && q->cursor != NULL)
		gh_reply_err(r, 400, "invalid_cursor",
		    "The cursor does not belong to this list.");
	else
		gh_reply_fail(r, err, "list query");
}

/* gh_market_reply_page without a filter: 200, 400 invalid_cursor, 500, 503. */
static void
reply_page_text(struct gh_req *r, struct gh_query *q)
{
	struct gh_page	 page = { NULL, NULL };
	struct printbuf	*pb = NULL;
	json_object	*it, *c = NULL;
	const char	*js;
	char		*nb;
	size_t		 i, n, len;
	enum gh_err	 err;

	q->text = 1;
	err = gh_store_query(gh_req_store(r), q, &page);
	q->text = 0;
	if (err != GH_OK) {
		reply_query_fail(r, q, err);
		return;
	}
	if ((pb = printbuf_new()) == NULL)
		goto nomem;
	/*
	 * The reply is mostly the items' texts: its buffer is sized once
	 * (json-c's struct printbuf is public, its buffer malloc'd; json-c
	 * has no call that grows it without writing it all).
	 */
	n = json_object_array_length(page.items);
	for (i = 0, len = 64 + (size_t)pb->size; i < n; i++)
		len += (size_t)json_object_get_string_len(
		    json_object_array_get_idx(page.items, i)) + 2;
	if (len < INT32_MAX / 2 && (nb = realloc(pb->buf, len)) != NULL) {
		pb->buf = nb;
		pb->size = (int)len;
	}
	printbuf_memappend(pb, "{\"items\":[", 10);
	for (i = 0; i < n; i++) {
		it = json_object_array_get_idx(page.items, i);
		if (i > 0)
			printbuf_memappend(pb, ",", 1);
		js = json_object_get_string(it);
		len = (size_t)json_object_get_string_len(it);
		if (gh_market_view_text(pb, js, len))
			continue;
		if ((err = view_slow(pb, js, len)) != GH_OK) {
			gh_page_free(&page);
			printbuf_free(pb);
			gh_reply_fail(r, err, err == GH_ERR_STORE ?
			    "stored item is not a JSON object" : "list reply");
			return;
		}
	}
	printbuf_memappend(pb, "],\"next_cursor\":", 16);
	if (page.cursor == NULL)
		printbuf_memappend(pb, "null", 4);
	else if ((c = json_object_new_string(page.cursor)) == NULL ||
	    (js = json_object_to_json_string_length(c, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len)) == NULL)
		goto nomem;
	else
		printbuf_memappend(pb, js, (int)len);
	printbuf_memappend(pb, "}", 1);
	if (pb->bpos < 0 || pb->buf == NULL)
		goto nomem;
	gh_reply_raw(r, 200, "application/json", pb->buf, (size_t)pb->bpos);
	json_object_put(c);
	printbuf_free(pb);
	gh_page_free(&page);
	return;
nomem:
	json_object_put(c);
	printbuf_free(pb);
	gh_page_free(&page);
	gh_reply_fail(r, GH_ERR_NOMEM, "list reply");
}

void
gh_market_reply_page(struct gh_req *r, struct gh_query *q, const char *cursor,
    int64_t limit, int (*keep)(json_object *, void *), void *arg)
{
	struct gh_page	 page = { NULL, NULL };
	json_object	*o = NULL, *items = NULL, *it, *v;
	size_t		 i;
	enum gh_err	 err;

	q->cursor = cursor;
	q->limit = limit > 0 ? (size_t)limit : GH_MARKET_PAGE_DEFAULT;
	if (keep == NULL) {
		reply_page_text(r, q);
		return;
	}
	if ((err = gh_store_query(gh_req_store(r), q, &page)) != GH_OK) {
		reply_query_fail(r, q, err);
		return;
	}
	if ((o = json_object_new_object()) == NULL ||
	    (items = json_object_new_array()) == NULL)
		goto nomem;
	for (i = 0; i < json_object_array_length(page.items); i++) {
		it = json_object_array_get_idx(page.items, i);
		if (!keep(it, arg))
			continue;
		if ((v = gh_market_view(it)) == NULL)
			goto nomem;
		if (json_object_array_add(items, v) != 0) {
			json_object_put(v);
			goto nomem;
		}
	}
	if (json_object_object_add(o, "items", items) != 0)
		goto nomem;
	items = NULL;
	if (json_object_object_add(o, "next_cursor", page.cursor != NULL ?
	    json_object_new_string(page.cursor) : NULL) != 0)
		goto nomem;
	gh_page_free(&page);
	gh_reply(r, 200, o);
	return;
nomem:
	json_object_put(items);
	json_object_put(o);
	gh_page_free(&page);
	gh_reply_fail(r, GH_ERR_NOMEM, "list reply");
}

enum gh_err
gh_market_find_one(struct gh_store *s, enum gh_index idx, const char *pk,
    const char *sk, int consistent, json_object **out)
{
	struct gh_query	 q;
	struct gh_page	 page = { NULL, NULL };
	json_object	*it;
	enum gh_err	 err;

	memset(&q, 0, sizeof(q));
	q.table = GH_TABLE_MAIN;
	q.index = idx;
	q.pk = pk;
	q.skop = GH_SK_EQ;
	q.sk1 = sk;
	q.limit = 1;
	if ((err = gh_store_query(s, &q, &page)) != GH_OK)
		return err;
	if (json_object_array_length(page.items) == 0)
		err = GH_ERR_NOTFOUND;
	else if (consistent) {
		it = json_object_array_get_idx(page.items, 0);
		err = gh_store_get(s, GH_TABLE_MAIN, gh_json_str(it, "PK"),
		    gh_json_str(it, "SK"), out);
	} else
		*out = json_object_get(json_object_array_get_idx(page.items, 0));
	gh_page_free(&page);
	return err;
}

void
gh_market_reply_view(struct gh_req *r, int status, json_object *item)
{
	json_object *v = gh_market_view(item);

	if (v == NULL)
		gh_reply_fail(r, GH_ERR_NOMEM, "view");
	else
		gh_reply(r, status, v);
}

/* The demo catalog: fixed ids, so seeding again refreshes rather than adds. */
static const struct {
	const char	*id, *name, *description, *category, *currency;
	int64_t		 amount;
} demo[] = {
	{ "demo-backup-basic", "Backup Basic",
	  "Nightly encrypted backups for up to 5 machines.", "backup-tools",
	  "USD", 1900 },
	{ "demo-secure-mail", "Secure Mail Gateway",
	  "Spam and phishing filtering in front of any mail server.", "security",
	  "USD", 4900 },
	{ "demo-insights", "Insights Dashboard",
	  "Traffic and sales analytics with a shareable dashboard.", "analytics",
	  "USD", 2900 },
	{ "demo-uptime", "Uptime Watch",
	  "Checks your sites every minute and tells you when they are down.",
	  "monitoring", "USD", 900 },
};

enum gh_err
gh_market_seed_catalog(struct gh_store *s)
{
	json_object	*sol = NULL, *pricing;
	char		 ts[GH_MARKET_TS_LEN];
	size_t		 i;
	enum gh_err	 err = GH_OK;

	gh_market_now(ts);
	for (i = 0; i < sizeof(demo) / sizeof(demo[0]) && err == GH_OK; i++) {
		err = GH_ERR_NOMEM;
		if ((sol = json_object_new_object()) == NULL ||
		    (pricing = json_object_new_object()) == NULL)
			break;
		if (json_object_object_add(sol, "pricing", pricing) != 0) {
			json_object_put(pricing);
			break;
		}
		if (gh_json_add_str(sol, "solution_id", demo[i].id) != GH_OK ||
		    gh_json_add_str(sol, "partner_id", GH_MARKET_DEMO_PARTNER) != GH_OK ||
		    gh_json_add_str(sol, "name", demo[i].name) != GH_OK ||
		    gh_json_add_str(sol, "description", demo[i].description) != GH_OK ||
		    gh_json_add_str(sol, "category", demo[i].category) != GH_OK ||
		    gh_json_add_int(pricing, "amount", demo[i].amount) != GH_OK ||
		    gh_json_add_str(pricing, "currency", demo[i].currency) != GH_OK ||
		    gh_json_add_str(sol, "status", "published") != GH_OK ||
		    gh_json_add_str(sol, "created_at", "2026-01-01T00:00:00.000Z") != GH_OK ||
		    gh_json_add_str(sol, "updated_at", ts) != GH_OK ||
		    (err = gh_market_solution_keys(sol)) != GH_OK)
			break;
		err = gh_store_put(s, GH_TABLE_MAIN, sol, NULL);
		json_object_put(sol);
		sol = NULL;
	}
	json_object_put(sol);
	return err;
}

/* --- validators ------------------------------------------------------------ */

/* s[0..len) holds no control character (except those in allow). */
static int
no_controls(const char *s, size_t len, const char *allow)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] < 0x20 && strchr(allow, s[i]) == NULL) ||
		    (unsigned char)s[i] == 0x7f)
			return 0;
	return 1;
}

static int
str_in(const struct gh_value *v, size_t min, size_t max)
{
	return v->str != NULL && json_object_is_type(v->json, json_type_string) &&
	    v->len >= min && v->len <= max && strlen(v->str) == v->len;
}

int
gh_market_valid_category(struct gh_value *v)
{
	return str_in(v, 1, 48) && strspn(v->str, "abcdefghijklmnopqrstuvwxyz0123456789-") ==
	    v->len && v->str[0] != '-' && v->str[v->len - 1] != '-' &&
	    strstr(v->str, "--") == NULL;
}

int
gh_market_valid_name(struct gh_value *v)
{
	return str_in(v, 1, 200) && no_controls(v->str, v->len, "");
}

int
gh_market_valid_label(struct gh_value *v)
{
	return str_in(v, 0, 200) && no_controls(v->str, v->len, "");
}

int
gh_market_valid_details(struct gh_value *v)
{
	return str_in(v, 0, 4000) && no_controls(v->str, v->len, "\n\t\r");
}

/* An integer JSON member of o (not a string, float or bool) in [min, max]. */
static int
int_member(json_object *o, const char *key, int64_t min, int64_t max, int64_t *out)
{
	json_object *m;

	if (!json_object_object_get_ex(o, key, &m) || !json_object_is_type(m, json_type_int))
		return 0;
	if (json_object_get_int64(m) < min || json_object_get_int64(m) > max ||
	    (json_object_get_int64(m) == INT64_MAX))
		return 0;
	if (out != NULL)
		*out = json_object_get_int64(m);
	return 1;
}

int
gh_market_valid_pricing(struct gh_value *v)
{
	const char	*c;
	size_t		 n = 0;

	if (!json_object_is_type(v->json, json_type_object))
		return 0;
	json_object_object_foreach(v->json, k, unused) {
		(void)unused;
		if (strcmp(k, "amount") != 0 && strcmp(k, "currency") != 0)
			return 0;
		n++;
	}
	if (n != 2 || !int_member(v->json, "amount", 0, GH_MARKET_PRICE_MAX, &v->num))
		return 0;
	c = gh_json_str(v->json, "currency");
	return c != NULL && strlen(c) == 3 && strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 3;
}

int
gh_market_valid_sol_status(struct gh_value *v)
{
	return str_in(v, 1, 16) && gh_market_enum(gh_sol_status_names, GH_SOL__MAX, v->str) >= 0;
}

int
gh_market_valid_app_status(struct gh_value *v)
{
	return str_in(v, 1, 16) && gh_market_enum(gh_app_status_names, GH_APP__MAX, v->str) >= 0;
}

int
gh_market_valid_decision(struct gh_value *v)
{
	return str_in(v, 1, 16) && (strcmp(v->str, "approved") == 0 ||
	    strcmp(v->str, "rejected") == 0);
}

int
gh_market_valid_role(struct gh_value *v)
{
	return str_in(v, 1, 16) && (strcmp(v->str, "customer") == 0 ||
	    strcmp(v->str, "partner") == 0);
}

int
gh_market_valid_any_role(struct gh_value *v)
{
	return str_in(v, 1, 16) && gh_market_enum(gh_role_names, GH_ROLE__MAX, v->str) >= 0;
}

int
gh_market_valid_user_status(struct gh_value *v)
{
	return str_in(v, 1, 16) && (strcmp(v->str, "active") == 0 ||
	    strcmp(v->str, "suspended") == 0);
}

int
gh_market_valid_phone(struct gh_value *v)
{
	if (!str_in(v, 0, 16))
		return 0;
	if (v->len == 0)
		return 1;
	return v->len >= 8 && v->str[0] == '+' && v->str[1] >= '1' && v->str[1] <= '9' &&
	    strspn(v->str + 1, "0123456789") == v->len - 1;
}

int
gh_market_valid_json_bool(struct gh_value *v)
{
	if (!json_object_is_type(v->json, json_type_boolean))
		return 0;
	v->boolean = json_object_get_boolean(v->json);
	return 1;
}

/*
 * An order's items: an array of 1..GH_MARKET_LINES_MAX objects, each exactly
 * {solution_id: id, quantity: 1..GH_MARKET_QUANTITY_MAX}, no solution twice.
 * Anything else in a line (a price, say) makes the whole field invalid.
 */
int
gh_market_valid_lines(struct gh_value *v)
{
	struct gh_value	 id;
	json_object	*it;
	const char	*a, *b;
	size_t		 i, j, n, keys;

	if (!json_object_is_type(v->json, json_type_array))
		return 0;
	n = json_object_array_length(v->json);
	if (n < 1 || n > GH_MARKET_LINES_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		it = json_object_array_get_idx(v->json, i);
		if (!json_object_is_type(it, json_type_object))
			return 0;
		keys = 0;
		json_object_object_foreach(it, k, unused) {
			(void)unused;
			if (strcmp(k, "solution_id") != 0 && strcmp(k, "quantity") != 0)
				return 0;
			keys++;
		}
		if (keys != 2 || !int_member(it, "quantity", 1, GH_MARKET_QUANTITY_MAX, NULL))
			return 0;
		memset(&id, 0, sizeof(id));
		if (!json_object_object_get_ex(it, "solution_id", &id.json) ||
		    !json_object_is_type(id.json, json_type_string))
			return 0;
		id.present = 1;
		id.str = json_object_get_string(id.json);
		id.len = (size_t)json_object_get_string_len(id.json);
		if (!gh_valid_id(&id))
			return 0;
		a = id.str;
		for (j = 0; j < i; j++) {
			b = gh_json_str(json_object_array_get_idx(v->json, j), "solution_id");
			if (b != NULL && strcmp(a, b) == 0)
				return 0;
		}
	}
	return 1;
}
