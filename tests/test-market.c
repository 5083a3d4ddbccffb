/*
 * test-market.c: the marketplace library (market.c): the solution life
 * cycle, the validators of marketplace fields, order pricing (unknown,
 * unpublished, mixed currency, overflow), index keys, ids, public views,
 * and, on a throwaway SQLite store, role/status changes (RoleIndex kept in
 * step, approval never demoting an admin), the admin tool's user update
 * and the idempotent demo catalog.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gh_admin.h"
#include "gh_conf.h"
#include "gh_http.h"
#include "gh_json.h"
#include "gh_market.h"
#include "gh_store.h"

#include "tests.h"
#include "view-check.h"

static char		 tmpdir[64];
static struct gh_conf	*conf;
static struct gh_store	*s;

static void
test_life_cycle(void)
{
	static const struct {
		enum gh_sol_status from, to;
		int admin, ok;
	} t[] = {
		{ GH_SOL_DRAFT, GH_SOL_PUBLISHED, 0, 1 },
		{ GH_SOL_PUBLISHED, GH_SOL_DRAFT, 0, 1 },
		{ GH_SOL_DRAFT, GH_SOL_RETIRED, 0, 1 },
		{ GH_SOL_PUBLISHED, GH_SOL_RETIRED, 0, 1 },
		{ GH_SOL_RETIRED, GH_SOL_DRAFT, 0, 0 },
		{ GH_SOL_RETIRED, GH_SOL_DRAFT, 1, 1 },
		{ GH_SOL_RETIRED, GH_SOL_PUBLISHED, 0, 0 },
		{ GH_SOL_RETIRED, GH_SOL_PUBLISHED, 1, 0 },
		{ GH_SOL_RETIRED, GH_SOL_RETIRED, 0, 1 },
		{ GH_SOL_DRAFT, GH_SOL_DRAFT, 0, 1 },
		{ GH_SOL__MAX, GH_SOL_DRAFT, 1, 0 },
		{ GH_SOL_DRAFT, GH_SOL__MAX, 1, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		T(gh_market_sol_move(t[i].from, t[i].to, t[i].admin) == t[i].ok,
		    "move %d -> %d (admin %d) %s", t[i].from, t[i].to, t[i].admin,
		    t[i].ok ? "allowed" : "refused");
	T(gh_market_enum(gh_sol_status_names, GH_SOL__MAX, "published") == GH_SOL_PUBLISHED,
	    "status names");
	T(gh_market_enum(gh_sol_status_names, GH_SOL__MAX, "Published") < 0 &&
	    gh_market_enum(gh_sol_status_names, GH_SOL__MAX, NULL) < 0, "unknown status");
}

/* Runs validator f on the JSON text js. */
static int
valid_json(gh_validator f, const char *js)
{
	struct gh_value	 v;
	json_object	*arr = NULL, *o;
	char		 buf[1024];
	int		 ok;

	/* Wrapped in an array: the strict parser takes scalars only inside one. */
	snprintf(buf, sizeof(buf), "[%s]", js);
	if (gh_json_parse(buf, strlen(buf), 16, &arr, NULL) != GH_OK)
		return -1;
	o = json_object_array_get_idx(arr, 0);
	memset(&v, 0, sizeof(v));
	v.present = 1;
	v.json = o;
	if (json_object_is_type(o, json_type_string)) {
		v.str = json_object_get_string(o);
		v.len = (size_t)json_object_get_string_len(o);
	}
	ok = f(&v);
	free(v.buf);
	json_object_put(arr);
	return ok;
}

static void
test_validators(void)
{
	static const struct {
		gh_validator	 f;
		const char	*name, *js;
		int		 ok;
	} t[] = {
		{ gh_market_valid_category, "category", "\"backup-tools\"", 1 },
		{ gh_market_valid_category, "category", "\"a\"", 1 },
		{ gh_market_valid_category, "category", "\"Backup\"", 0 },
		{ gh_market_valid_category, "category", "\"-a\"", 0 },
		{ gh_market_valid_category, "category", "\"a-\"", 0 },
		{ gh_market_valid_category, "category", "\"a--b\"", 0 },
		{ gh_market_valid_category, "category", "\"\"", 0 },
		{ gh_market_valid_category, "category", "\"a b\"", 0 },
		{ gh_market_valid_category, "category", "1", 0 },
		{ gh_market_valid_category, "category",
		  "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", 0 },
		{ gh_market_valid_pricing, "pricing", "{\"amount\":1250,\"currency\":\"USD\"}", 1 },
		{ gh_market_valid_pricing, "pricing", "{\"amount\":0,\"currency\":\"JPY\"}", 1 },
		{ gh_market_valid_pricing, "pricing", "{\"amount\":99999999999,\"currency\":\"USD\"}", 1 },
		{ gh_market_valid_pricing, "pricing", "{\"amount\":100000000000,\"currency\":\"USD\"}", 0 },
		{ gh_market_valid_pricing, "pricing", "{\"amount\":-1,\"currency\":\"USD\"}", 0 },
		{ gh_market_valid_pricing, "pricing", "{\"amount\":12.5,\"currency\":\"USD\"}", 0 },
		{ gh_market_valid_pricing, "pricing", "{\"amount\":\"12\",\"currency\":\"USD\"}", 0 },
		{ gh_market_valid_pricing, "pricing", "{\"amount\":true,\"currency\":\"USD\"}", 0 },
		{ gh_market_valid_pricing, "pricing", "{\"amount\":1,\"currency\":\"usd\"}", 0 },
		{ gh_market_valid_pricing, "pricing", "{\"amount\":1,\"currency\":\"USDX\"}", 0 },
		{ gh_market_valid_pricing, "pricing", "{\"amount\":1,\"currency\":1}", 0 },
		{ gh_market_valid_pricing, "pricing", "{\"amount\":1}", 0 },
		{ gh_market_valid_pricing, "pricing", "{\"amount\":1,\"currency\":\"USD\",\"x\":1}", 0 },
		{ gh_market_valid_pricing, "pricing", "[1]", 0 },
		{ gh_market_valid_pricing, "pricing",
		  "{\"amount\":99999999999999999999999,\"currency\":\"USD\"}", 0 },
		{ gh_market_valid_lines, "items", "[{\"solution_id\":\"a\",\"quantity\":1}]", 1 },
		{ gh_market_valid_lines, "items",
		  "[{\"solution_id\":\"a\",\"quantity\":100},{\"solution_id\":\"b\",\"quantity\":1}]", 1 },
		{ gh_market_valid_lines, "items", "[]", 0 },
		{ gh_market_valid_lines, "items", "{}", 0 },
		{ gh_market_valid_lines, "items", "[1]", 0 },
		{ gh_market_valid_lines, "items", "[{\"solution_id\":\"a\",\"quantity\":0}]", 0 },
		{ gh_market_valid_lines, "items", "[{\"solution_id\":\"a\",\"quantity\":101}]", 0 },
		{ gh_market_valid_lines, "items", "[{\"solution_id\":\"a\",\"quantity\":\"1\"}]", 0 },
		{ gh_market_valid_lines, "items", "[{\"solution_id\":\"a\",\"quantity\":1.0}]", 0 },
		{ gh_market_valid_lines, "items", "[{\"solution_id\":\"a\"}]", 0 },
		{ gh_market_valid_lines, "items", "[{\"solution_id\":\"a/b\",\"quantity\":1}]", 0 },
		{ gh_market_valid_lines, "items", "[{\"solution_id\":\"\",\"quantity\":1}]", 0 },
		{ gh_market_valid_lines, "items", "[{\"solution_id\":7,\"quantity\":1}]", 0 },
		{ gh_market_valid_lines, "items",
		  "[{\"solution_id\":\"a\",\"quantity\":1,\"price\":1}]", 0 },
		{ gh_market_valid_lines, "items",
		  "[{\"solution_id\":\"a\",\"quantity\":1},{\"solution_id\":\"a\",\"quantity\":2}]", 0 },
		{ gh_market_valid_phone, "phone", "\"+14155550123\"", 1 },
		{ gh_market_valid_phone, "phone", "\"\"", 1 },
		{ gh_market_valid_phone, "phone", "\"+0155550123\"", 0 },
		{ gh_market_valid_phone, "phone", "\"14155550123\"", 0 },
		{ gh_market_valid_phone, "phone", "\"+1415555012345678\"", 0 },
		{ gh_market_valid_phone, "phone", "\"+1-415\"", 0 },
		{ gh_market_valid_name, "name", "\"Kit\"", 1 },
		{ gh_market_valid_name, "name", "\"\"", 0 },
		{ gh_market_valid_name, "name", "\"a\\u0007b\"", 0 },
		{ gh_market_valid_name, "name", "\"a\\nb\"", 0 },
		{ gh_market_valid_details, "details", "\"a\\nb\\tc\"", 1 },
		{ gh_market_valid_details, "details", "\"a\\u001bb\"", 0 },
		{ gh_market_valid_label, "label", "\"\"", 1 },
		{ gh_market_valid_role, "role", "\"partner\"", 1 },
		{ gh_market_valid_role, "role", "\"admin\"", 0 },
		{ gh_market_valid_any_role, "role", "\"admin\"", 1 },
		{ gh_market_valid_any_role, "role", "\"root\"", 0 },
		{ gh_market_valid_user_status, "status", "\"suspended\"", 1 },
		{ gh_market_valid_user_status, "status", "\"deleted\"", 0 },
		{ gh_market_valid_decision, "status", "\"approved\"", 1 },
		{ gh_market_valid_decision, "status", "\"pending\"", 0 },
		{ gh_market_valid_app_status, "status", "\"pending\"", 1 },
		{ gh_market_valid_sol_status, "status", "\"retired\"", 1 },
		{ gh_market_valid_sol_status, "status", "\"gone\"", 0 },
		{ gh_market_valid_json_bool, "bool", "true", 1 },
		{ gh_market_valid_json_bool, "bool", "\"true\"", 0 },
		{ gh_market_valid_json_bool, "bool", "1", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		T(valid_json(t[i].f, t[i].js) == t[i].ok, "%s %s %s", t[i].name,
		    t[i].js, t[i].ok ? "accepted" : "refused");
}

/* A stored-looking solution. */
static json_object *
sol(const char *id, const char *status, int64_t amount, const char *cur)
{
	char js[512];

	snprintf(js, sizeof(js), "{\"solution_id\":\"%s\",\"name\":\"N %s\",\"status\":\"%s\","
	    "\"pricing\":{\"amount\":%lld,\"currency\":\"%s\"}}", id, id, status,
	    (long long)amount, cur);
	return json_tokener_parse(js);
}

static void
test_order_price(void)
{
	json_object			*sols = json_object_new_array(), *d = NULL, *it;
	struct gh_order_line		 l[3] = { { "a", 2 }, { "b", 3 }, { "c", 1 } };
	size_t				 bad = 99;
	int64_t				 n;

	json_object_array_add(sols, sol("b", "published", 500, "USD"));
	json_object_array_add(sols, sol("a", "published", 1999, "USD"));
	json_object_array_add(sols, sol("c", "draft", 1, "USD"));
	json_object_array_add(sols, sol("e", "published", 1, "EUR"));
	json_object_array_add(sols, sol("big", "published", GH_MARKET_PRICE_MAX, "USD"));
	T(gh_market_order_price(l, 2, sols, &d, &bad) == GH_OK, "two lines priced");
	T(gh_json_int(d, "amount", &n) && n == 2 * 1999 + 3 * 500, "amount %lld", (long long)n);
	T(strcmp(gh_json_str(d, "currency"), "USD") == 0, "currency");
	json_object_object_get_ex(d, "items", &it);
	T(json_object_array_length(it) == 2 &&
	    strcmp(gh_json_str(json_object_array_get_idx(it, 0), "solution_id"), "a") == 0 &&
	    gh_json_int(json_object_array_get_idx(it, 0), "price", &n) && n == 1999 &&
	    strcmp(gh_json_str(json_object_array_get_idx(it, 0), "name"), "N a") == 0,
	    "lines in request order with catalog price and name");
	json_object_put(d);
	d = NULL;
	T(gh_market_order_price(l, 3, sols, &d, &bad) == GH_ERR_NOTFOUND && bad == 2 && d == NULL,
	    "a draft is unavailable (line 2)");
	l[0].solution_id = "zzz";
	T(gh_market_order_price(l, 1, sols, &d, &bad) == GH_ERR_NOTFOUND && bad == 0,
	    "an unknown solution is unavailable");
	l[0].solution_id = "a";
	l[1].solution_id = "e";
	T(gh_market_order_price(l, 2, sols, &d, &bad) == GH_ERR_CONFLICT && bad == 1,
	    "mixed currencies");
	l[0].solution_id = "big";
	l[0].quantity = GH_MARKET_QUANTITY_MAX;
	T(gh_market_order_price(l, 1, sols, &d, &bad) == GH_OK, "the largest line fits");
	json_object_put(d);
	d = NULL;
	l[0].quantity = INT64_MAX / 2;
	T(gh_market_order_price(l, 1, sols, &d, &bad) == GH_ERR_TOOLARGE, "a huge quantity");
	l[0].quantity = 0;
	T(gh_market_order_price(l, 1, sols, &d, &bad) == GH_ERR_TOOLARGE, "quantity 0");
	T(gh_market_order_price(l, 0, sols, &d, &bad) == GH_ERR_INVAL, "no lines");
	json_object_array_put_idx(sols, 0, sol("b", "published", -5, "USD"));
	l[0].solution_id = "b";
	l[0].quantity = 1;
	T(gh_market_order_price(l, 1, sols, &d, &bad) == GH_ERR_NOTFOUND,
	    "a stored negative price is not sold");
	json_object_put(sols);
}

static void
test_keys_ids_views(void)
{
	json_object	*o = json_tokener_parse("{\"solution_id\":\"x1\",\"partner_id\":\"p\","
	    "\"category\":\"tools\",\"status\":\"published\",\"created_at\":\"T\"}");
	json_object	*v;
	char		 a[GH_MARKET_SEQ_ID_LEN], b[GH_MARKET_SEQ_ID_LEN], id[GH_MARKET_ID_LEN];
	char		 ts[GH_MARKET_TS_LEN];

	T(gh_market_solution_keys(o) == GH_OK, "solution keys");
	T(strcmp(gh_json_str(o, "PK"), "solution-x1") == 0 &&
	    strcmp(gh_json_str(o, "GSI1PK"), "partner-p") == 0 &&
	    strcmp(gh_json_str(o, "GSI2PK"), "category-tools") == 0 &&
	    strcmp(gh_json_str(o, "GSI2SK"), "published-T-x1") == 0 &&
	    strcmp(gh_json_str(o, "GSI3PK"), "solutions") == 0, "solution index keys");
	json_object_object_add(o, "version", json_object_new_int(3));
	v = gh_market_view(o);
	T(v != NULL && !json_object_object_get_ex(v, "PK", NULL) &&
	    !json_object_object_get_ex(v, "GSI2SK", NULL) &&
	    !json_object_object_get_ex(v, "version", NULL) &&
	    strcmp(gh_json_str(v, "solution_id"), "x1") == 0, "view hides keys and version");
	json_object_put(v);
	json_object_object_del(o, "category");
	T(gh_market_solution_keys(o) == GH_ERR_INVAL, "a solution without category");
	json_object_put(o);
	o = json_tokener_parse("{\"PK\":\"user-u\",\"SK\":\"user\",\"sub\":\"u\"}");
	v = gh_market_view(o);
	T(v != NULL && strcmp(gh_json_str(v, "user_id"), "u") == 0, "user view has user_id");
	json_object_put(v);
	json_object_put(o);
	o = json_tokener_parse("{\"app_id\":\"A\",\"user_id\":\"u\",\"status\":\"pending\","
	    "\"created_at\":\"T\"}");
	T(gh_market_app_keys(o) == GH_OK && strcmp(gh_json_str(o, "PK"), "user-u") == 0 &&
	    strcmp(gh_json_str(o, "SK"), "partnerapp-A") == 0 &&
	    strcmp(gh_json_str(o, "GSI1PK"), "partnerapp-A") == 0 &&
	    strcmp(gh_json_str(o, "GSI2PK"), "partnerapps-pending") == 0, "application keys");
	json_object_put(o);
	T(gh_market_new_seq_id(a) == GH_OK && gh_market_new_seq_id(b) == GH_OK &&
	    strlen(a) == GH_MARKET_SEQ_ID_LEN - 1 && strcmp(a, b) < 0 && a[20] == '-',
	    "sequence ids sort by time (%s < %s)", a, b);
	T(gh_market_new_id(id) == GH_OK && strlen(id) == 32 &&
	    strspn(id, "0123456789abcdef") == 32, "random id");
	gh_market_now(ts);
	T(strlen(ts) == 24 && ts[10] == 'T' && ts[23] == 'Z', "timestamp %s", ts);
}

static int
setup(void)
{
	char		 file[128];
	const char	*msg = NULL;
	FILE		*f;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/gh-test-market-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(file, sizeof(file), "%s/gatehouse.conf", tmpdir);
	if ((f = fopen(file, "w")) == NULL)
		return -1;
	fprintf(f, "store = sqlite\nsqlite_path = store.db\n");
	fclose(f);
	if (gh_conf_load(file, 0, &conf, &msg) != GH_OK) {
		fprintf(stderr, "%s: %s\n", file, msg ? msg : "?");
		return -1;
	}
	return gh_store_open(conf, &s) == GH_OK ? 0 : -1;
}

static void
teardown(void)
{
	static const char *const files[] = {
		"gatehouse.conf", "store.db", "store.db-wal", "store.db-shm",
	};
	char	path[160];
	size_t	i;

	gh_store_free(s);
	gh_conf_free(conf);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
		unlink(path);
	}
	rmdir(tmpdir);
}

static size_t
count(enum gh_index idx, const char *pk, const char *prefix)
{
	struct gh_query	q;
	struct gh_page	p = { NULL, NULL };
	size_t		n;

	memset(&q, 0, sizeof(q));
	q.table = GH_TABLE_MAIN;
	q.index = idx;
	q.pk = pk;
	q.skop = prefix ? GH_SK_BEGINS : GH_SK_ANY;
	q.sk1 = prefix;
	if (gh_store_query(s, &q, &p) != GH_OK)
		return (size_t)-1;
	n = json_object_array_length(p.items);
	gh_page_free(&p);
	return n;
}

static void
test_store_parts(void)
{
	json_object	*u = json_tokener_parse("{\"PK\":\"user-u1\",\"SK\":\"user\",\"sub\":\"u1\","
	    "\"email\":\"u1@example.com\",\"role\":\"customer\",\"status\":\"active\","
	    "\"GSI1PK\":\"email-u1@example.com\",\"GSI1SK\":\"user\",\"GSI2PK\":\"role-customer\","
	    "\"GSI2SK\":\"T\",\"GSI3PK\":\"users\",\"GSI3SK\":\"T\"}");
	json_object	*out = NULL;
	char		 msg[256];

	T(gh_store_put(s, GH_TABLE_MAIN, u, NULL) == GH_OK, "a user");
	T(gh_market_user_set(s, "u1", "partner", NULL, "customer", &out) == GH_OK &&
	    strcmp(gh_json_str(out, "role"), "partner") == 0 &&
	    strcmp(gh_json_str(out, "GSI2PK"), "role-partner") == 0 &&
	    strcmp(gh_json_str(out, "status"), "active") == 0, "promote keeps RoleIndex in step");
	json_object_put(out);
	out = NULL;
	T(count(GH_INDEX_GSI2, "role-partner", NULL) == 1 &&
	    count(GH_INDEX_GSI2, "role-customer", NULL) == 0, "RoleIndex moved");
	T(gh_market_user_set(s, "u1", "admin", NULL, NULL, NULL) == GH_OK, "make admin");
	T(gh_market_user_set(s, "u1", "partner", "suspended", "customer", &out) == GH_OK &&
	    strcmp(gh_json_str(out, "role"), "admin") == 0 &&
	    strcmp(gh_json_str(out, "status"), "suspended") == 0,
	    "approval never demotes an admin; status still set");
	json_object_put(out);
	T(gh_market_user_set(s, "nobody", "partner", NULL, NULL, NULL) == GH_ERR_NOTFOUND,
	    "unknown user");
	T(gh_market_user_set(s, "u1", "root", NULL, NULL, NULL) == GH_ERR_INVAL, "bad role");
	T(gh_market_user_set(s, "u1", NULL, "gone", NULL, NULL) == GH_ERR_INVAL, "bad status");
	T(gh_admin_user_set(s, "U1@Example.com", "role", "customer", msg, sizeof(msg)) == GH_OK,
	    "admin tool set-role by e-mail (any case)");
	T(count(GH_INDEX_GSI2, "role-customer", NULL) == 1, "tool keeps RoleIndex in step");
	T(gh_admin_user_set(s, "x@example.com", "role", "customer", msg, sizeof(msg)) ==
	    GH_ERR_NOTFOUND && strstr(msg, "no user") != NULL, "tool: unknown e-mail");
	json_object_put(u);

	T(gh_market_seed_catalog(s) == GH_OK && gh_market_seed_catalog(s) == GH_OK,
	    "seed the catalog twice");
	T(count(GH_INDEX_GSI3, "solutions", "published-") == 4, "four published demo solutions");
	T(count(GH_INDEX_GSI1, "partner-" GH_MARKET_DEMO_PARTNER, NULL) == 4,
	    "owned by the demo partner");
	T(gh_admin_seed_demo(conf, s) == GH_OK &&
	    count(GH_INDEX_GSI3, "solutions", "published-") == 4, "seed-demo is idempotent");
}

/*
 * The list replies' text path: for stored texts as json-c writes them, the
 * copied view is byte for byte the serialised gh_market_view; texts it must
 * not copy go to the object path.
 */
static void
test_view_text(void)
{
	static const struct {
		const char	*json;
		int		 fast;	/* 1: copied from the text */
	} t[] = {
		{ "{\"PK\":\"user-1\",\"SK\":\"order-1\",\"order_id\":\"1\",\"version\":3}", 1 },
		{ "{\"a\":1,\"PK\":\"p\",\"b\":[1,2,{\"PK\":\"inner stays\"}],\"SK\":\"s\"}", 1 },
		{ "{\"GSI1PK\":\"x\",\"GSI1SK\":\"y\",\"expires_at\":99,\"n\":-1.5e3,\"z\":null}", 1 },
		{ "{\"s\":\"q\\\"uote \\\\ back/ \\u0001 \\u001f \\n\\t\\b é 😀\",\"t\":true,\"f\":false}", 1 },
		{ "{\"n\":1.50,\"m\":1e3,\"i\":-12,\"z\":0,\"big\":123456789012345678}", 1 },
		{ "{\"s\":\"slash \\/\"}", 0 },
		{ "{\"s\":\"\\u00e9\"}", 0 },
		{ "{\"s\":\"\\u000a\"}", 0 },
		{ "{\"s\":\"\\u001F\"}", 0 },
		{ "{\"n\":-0}", 0 },
		{ "{\"n\":01}", 0 },
		{ "{\"n\":1234567890123456789}", 0 },
		{ "{\"e\":{},\"a\":[],\"d\":{\"x\":{\"y\":[[],[{}]]}},\"PK\":\"k\"}", 1 },
		{ "{\"PK\":\"only\",\"SK\":\"keys\"}", 1 },
		{ "{}", 1 },
		{ "{\"a-very-long-attribute-name\":1,\"version\":2}", 1 },
		{ "{\"PK\":\"user-1\",\"SK\":\"user\",\"sub\":\"1\",\"role\":\"customer\"}", 0 },
		{ "{\"P\\u004b\":\"escaped key\"}", 0 },
		{ "{ \"a\": 1 }", 0 },
		{ "{\"a\":1,}", 0 },
		{ "{\"a\":[1,2}", 0 },
		{ "{\"a\":tru}", 0 },
		{ "{\"a\":1}x", 0 },
		{ "[1,2]", 0 },
		{ "{\"a\":\"unterminated}", 0 },
		/* a key twice: json-c keeps one member */
		{ "{\"a\":1,\"b\":2,\"a\":3}", 0 },
		{ "{\"PK\":\"a\",\"PK\":\"b\"}", 0 },
		{ "{\"x\":{\"a\":1,\"b\":2,\"a\":2}}", 0 },
		{ "{\"x\":[{\"a\":1},{\"a\":2}],\"y\":{\"a\":{\"a\":1}},\"a\":0}", 1 },
		{ "{\"ab\":1,\"ba\":2,\"x\":{\"cd\":1,\"dc\":2}}", 1 },
		/* numbers: a double keeps its text, an integer is rewritten */
		{ "{\"n\":1e}", 0 },
		{ "{\"n\":1.}", 0 },
		{ "{\"n\":1.5e}", 0 },
		{ "{\"n\":.5}", 0 },
		{ "{\"n\":+1}", 0 },
		{ "{\"n\":-}", 0 },
		{ "{\"n\":00}", 0 },
		{ "{\"n\":-01}", 0 },
		{ "{\"n\":1.2.3}", 0 },
		{ "{\"n\":-0.0,\"m\":0e5,\"o\":1E+5,\"p\":2E-0,\"q\":1e400,\"r\":-1e0}", 1 },
		{ "{\"n\":1.0,\"m\":1e5,\"o\":0.0000000000000000000000000000001}", 1 },
		{ "{\"n\":-123456789012345678,\"m\":999999999999999999}", 1 },
		{ "{\"n\":-1234567890123456789}", 0 },
		{ "{\"n\":12345678901234567890}", 0 },
		{ "{\"x\":[1,-0]}", 0 },
		/* escapes */
		{ "{\"s\":\"x\\u0000y\"}", 0 },
		{ "{\"s\":\"\\u0008\"}", 0 },
		{ "{\"s\":\"\\u000A\"}", 0 },
		{ "{\"s\":\"\\u007f\"}", 0 },
		{ "{\"s\":\"\\u001\"}", 0 },
		{ "{\"s\":\"\\x\"}", 0 },
		{ "{\"s\":\"end\\\"}", 0 },
		{ "{\"s\":\"\\u000b\\u0010\\u001e\"}", 1 },
		{ "{\"x\":{\"k\\\"ey\":1}}", 0 },
		{ "{\"x\":[{\"k\\u0041\":1}]}", 0 },
		/* short texts (less than one 16-byte step), raw bytes >= 0x7f */
		{ "{\"a\":\"b\"}", 1 },
		{ "{\"a\":\"\x7f\xc3\xa9\xff\"}", 1 },
		{ "{\"a\":\"\x1f\"}", 0 },
		{ "{\"a\":[]}", 1 },
		{ "{\"\":1}", 1 },
		{ "{\"a\":}", 0 },
		{ "{\"a\"}", 0 },
		{ "{\"a\":1", 0 },
		{ "{", 0 },
		{ "", 0 },
		{ "{\"a\":1}}", 0 },
		{ "{\"a\":[1]]}", 0 },
		{ "{\"a\":{\"b\":1]}", 0 },
		{ "{\"a\":nul}", 0 },
		{ "{\"a\":falsy}", 0 },
	};
	size_t		 i;
	int		 got, ok;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ok = view_check(t[i].json, strlen(t[i].json), &got);
		T(got == t[i].fast, "view_text %zu: %s path (%s)", i,
		    t[i].fast ? "text" : "object", t[i].json);
		T(ok, "view_text %zu: %s", i, got ? "same bytes as the object path" :
		    "buffer unchanged on refusal");
	}
}

/* Nesting: json-c refuses 32 containers in all; the text path takes 16 in a value. */
static void
test_view_text_depth(void)
{
	char	 json[128];
	size_t	 d, len;
	int	 got, ok;

	for (d = 1; d <= 40; d++) {
		len = (size_t)snprintf(json, sizeof(json), "{\"a\":%.*s1%.*s}",
		    (int)d, "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
		    (int)d, "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
		ok = view_check(json, len, &got);
		T(ok && got == (d <= 16), "view_text: %zu nested arrays, %s path", d,
		    d <= 16 ? "text" : "object");
	}
}

/* Every cut of an item's text is refused (a truncated text is not an object). */
static void
test_view_text_cuts(void)
{
	static const char item[] = "{\"PK\":\"user-1\",\"SK\":\"order-1\","
	    "\"order_id\":\"1\",\"status\":\"placed\",\"created_at\":"
	    "\"2026-12-01T22:08:35.317Z\",\"order_details\":{\"amount\":900,"
	    "\"currency\":\"USD\",\"items\":[{\"solution_id\":\"demo-uptime\","
	    "\"name\":\"Uptime \\\"Watch\\\"\",\"quantity\":1,\"price\":-9.5e1}]}}";
	size_t	 len;
	int	 got, bad = 0;

	for (len = 0; len < sizeof(item) - 1; len++)
		bad += !view_check(item, len, &got) || got;
	T(bad == 0, "view_text: every cut of an item is refused (%d wrong)", bad);
	T(view_check(item, sizeof(item) - 1, &got) && got, "view_text: the whole item");
}

/*
 * Random edits of stored-looking texts (a byte changed, inserted, removed,
 * a piece copied elsewhere: duplicate keys, odd numbers, escapes, nesting):
 * whatever the text path takes must be the object path's bytes.  Seeded,
 * so a failure repeats.
 */
static void
test_view_text_mutations(void)
{
	static const char *const seeds[] = {
		"{\"PK\":\"user-1\",\"SK\":\"order-1\",\"order_id\":\"1\",\"status\":"
		"\"placed\",\"order_details\":{\"amount\":900,\"currency\":\"USD\","
		"\"items\":[{\"solution_id\":\"demo-uptime\",\"name\":\"Uptime Watch\","
		"\"quantity\":1,\"price\":900}]}}",
		"{\"a\":[1,-2.5e3,true,false,null,\"s\\n\\u0001\"],\"b\":{\"c\":{},\"d\":[]},"
		"\"GSI1PK\":\"g\",\"version\":1,\"e\":0}",
		"{\"k\":\"0123456789abcdef0123456789\",\"l\":{\"m\":[[0],[1.0]]},\"expires_at\":5}",
	};
	static const char alphabet[] = "{}[]\":,\\-+.0123456789eEtrufalsn u/x\x01\x7fPKS";
	char		 buf[512];
	unsigned	 r = 12345;
	size_t		 it, len, k, a, b, m;
	int		 got, bad = 0, fast = 0, n = 0;

#define RND() (r = r * 1103515245u + 12345u, (r >> 8) & 0xffffff)
	for (it = 0; it < 60000; it++) {
		len = strlen(seeds[it % 3]);
		memcpy(buf, seeds[it % 3], len);
		for (k = 1 + RND() % 3; k > 0; k--) {
			a = RND() % len;
			switch (RND() % 4) {
			case 0:
				buf[a] = alphabet[RND() % (sizeof(alphabet) - 1)];
				break;
			case 1:
				if (len + 1 >= sizeof(buf))
					break;
				memmove(buf + a + 1, buf + a, len - a);
				buf[a] = alphabet[RND() % (sizeof(alphabet) - 1)];
				len++;
				break;
			case 2:
				memmove(buf + a, buf + a + 1, len - a - 1);
				len--;
				break;
			default:
				b = RND() % len;
				m = 1 + RND() % 24;
				if (b + m > len)
					m = len - b;
				if (len + m >= sizeof(buf))
					break;
				memmove(buf + a + m, buf + a, len - a);
				memmove(buf + a, buf + (b >= a ? b + m : b), m);
				len += m;
				break;
			}
			if (len == 0)
				break;
		}
		n++;
		if (!view_check(buf, len, &got)) {
			if (bad++ < 5)
				T(0, "view_text mutation %zu: %.*s", it, (int)len, buf);
		}
		fast += got;
	}
#undef RND
	T(bad == 0, "view_text: %d random edits, %d on the text path, %d wrong",
	    n, fast, bad);
	T(fast > 1000, "view_text: the random edits reach the text path (%d)", fast);
}

/* gh_json_text_members: counts, and what makes it -1. */
static void
test_text_members(void)
{
	struct gh_json_member	 m[4];
	const char		*t;

	t = "{\"a\":1,\"bb\":\"x\",\"c\":{\"d\":[]}}";
	T(gh_json_text_members(t, strlen(t), m, 4) == 3 && m[1].klen == 2 &&
	    memcmp(m[1].key, "bb", 2) == 0 && m[1].vlen == 3 &&
	    memcmp(m[2].val, "{\"d\":[]}", m[2].vlen) == 0, "text_members: three");
	T(gh_json_text_members("{}", 2, m, 4) == 0, "text_members: none");
	t = "{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5}";
	T(gh_json_text_members(t, strlen(t), m, 4) == -1, "text_members: more than max");
	t = "{\"a\":1,\"b\":2,\"c\":3,\"d\":4}";
	T(gh_json_text_members(t, strlen(t), m, 4) == 4, "text_members: max exactly");
	t = "{\"a\":1,\"b\":2,\"a\":3}";
	T(gh_json_text_members(t, strlen(t), m, 4) == -1, "text_members: a key twice");
	t = "{\"a\":1} ";
	T(gh_json_text_members(t, strlen(t), m, 4) == -1, "text_members: trailing byte");
}

/*
 * The string scanner stops at the exact byte, wherever it falls in its
 * 16- and 8-byte steps: an escape (text path, same bytes as the object
 * path) or a raw control byte (refused) at every offset of a long string.
 */
static void
test_view_text_offsets(void)
{
	struct printbuf	*pb;
	json_object	*o, *v;
	char		 json[128], str[64];
	const char	*want;
	size_t		 len, k;
	int		 kind, got, bad = 0, n = 0;

	for (len = 1; len <= 40; len++)
		for (k = 0; k < len; k++)
			for (kind = 0; kind < 3; kind++) {
				memset(str, 'a', len);
				str[len] = '\0';
				if (kind == 2)
					str[k] = '\x01';	/* a raw control byte */
				snprintf(json, sizeof(json), "{\"PK\":\"p\",\"s\":\"%.*s%s%s\",\"t\":1}",
				    (int)k, str, kind == 0 ? "\\\"" : kind == 1 ? "\\\\" : "",
				    str + k);
				pb = printbuf_new();
				got = gh_market_view_text(pb, json, strlen(json));
				n++;
				if (kind == 2) {
					bad += got != 0;
				} else {
					o = json_tokener_parse(json);
					v = o != NULL ? gh_market_view(o) : NULL;
					want = v != NULL ? json_object_to_json_string_ext(v,
					    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) : "?";
					bad += got != 1 || strcmp(pb->buf, want) != 0;
					json_object_put(v);
					json_object_put(o);
				}
				printbuf_free(pb);
			}
	T(bad == 0, "view_text: escapes and control bytes at every offset (%d of %d wrong)",
	    bad, n);
}

/* gh_json_text_str: authorize's read of status and role from the text. */
static void
test_text_str(void)
{
	static const struct {
		const char	*json, *want;
		int		 rc;
	} t[] = {
		{ "{\"PK\":\"u\",\"status\":\"active\",\"role\":\"admin\"}", "active", 1 },
		{ "{\"role\":\"admin\"}", "", 0 },
		{ "{\"o\":{\"status\":\"inner\"},\"s\":[\"status\"]}", "", 0 },
		{ "{\"status\":\"act\\u0001ive\"}", "", -1 },
		{ "{\"status\":1}", "", -1 },
		{ "{\"status\":null}", "", -1 },
		{ "{\"status\":\"a\",\"status\":\"b\"}", "", -1 },
		{ "{\"status\":\"0123456789abcdef0123456789abcdef\"}", "", -1 },
		{ "{ \"status\": \"active\" }", "", -1 },
		{ "{\"x\":1:2,\"status\":\"active\"}", "", -1 },
		{ "{\"x\":{\"a\":1:2},\"status\":\"active\"}", "", -1 },
		{ "{\"x\":{\"a\"},\"status\":\"active\"}", "", -1 },
		{ "{\"x\":[\"a\":1],\"status\":\"active\"}", "", -1 },
		{ "not json", "", -1 },
	};
	char	 buf[32];
	size_t	 i;
	int	 rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf[0] = '\0';
		rc = gh_json_text_str(t[i].json, strlen(t[i].json), "status",
		    buf, sizeof(buf));
		T(rc == t[i].rc && (rc != 1 || strcmp(buf, t[i].want) == 0),
		    "text_str %zu: %d (want %d) \"%s\"", i, rc, t[i].rc, buf);
	}
}

/* gh_json_text_strs: status and role in one pass, as authorize reads them. */
static void
test_text_strs(void)
{
	static const char *const keys[2] = { "status", "role" };
	char		 a[16], b[16];
	char *const	 bufs[2] = { a, b };
	const char	*t;
	int		 found[2];

	t = "{\"PK\":\"user-1\",\"role\":\"admin\",\"x\":{\"status\":\"in\"},\"status\":\"active\"}";
	T(gh_json_text_strs(t, strlen(t), keys, bufs, sizeof(a), found, 2) == 0 &&
	    found[0] && found[1] && strcmp(a, "active") == 0 && strcmp(b, "admin") == 0,
	    "text_strs: both keys, top level only");
	t = "{\"status\":\"active\",\"stat\":\"x\",\"roles\":\"y\"}";
	T(gh_json_text_strs(t, strlen(t), keys, bufs, sizeof(a), found, 2) == 0 &&
	    found[0] && !found[1] && strcmp(a, "active") == 0,
	    "text_strs: one absent (prefixes and longer names do not match)");
	t = "{\"role\":\"admin\",\"role\":\"customer\"}";
	T(gh_json_text_strs(t, strlen(t), keys, bufs, sizeof(a), found, 2) == -1,
	    "text_strs: a key named twice is -1");
	t = "{\"status\":\"active\",\"role\":1}";
	T(gh_json_text_strs(t, strlen(t), keys, bufs, sizeof(a), found, 2) == -1,
	    "text_strs: a key not a string is -1");
	t = "{\"status\":\"a-status-longer-than-the-buffer\"}";
	T(gh_json_text_strs(t, strlen(t), keys, bufs, sizeof(a), found, 2) == -1,
	    "text_strs: too long for the buffer is -1");
}

/* gh_json_append_str (the log line's strings): JSON that reads back. */
static void
test_append_str(void)
{
	static const char *const t[] = {
		"", "plain", "q\"uote", "back\\slash", "nl\n tab\t cr\r \x01 \x1f",
		"\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80", "/api/orders?x=\"1\"", "\\\"",
	};
	struct printbuf	*pb;
	json_object	*o;
	size_t		 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		pb = printbuf_new();
		gh_json_append_str(pb, t[i]);
		o = json_tokener_parse(pb->buf);
		T(o != NULL && json_object_is_type(o, json_type_string) &&
		    strcmp(json_object_get_string(o), t[i]) == 0 &&
		    strpbrk(pb->buf, "\n\r\t\x01\x1f") == NULL,
		    "append_str %zu: %s reads back", i, pb->buf);
		json_object_put(o);
		printbuf_free(pb);
	}
}

int
main(void)
{
	test_life_cycle();
	test_validators();
	test_order_price();
	test_keys_ids_views();
	test_view_text();
	test_view_text_offsets();
	test_view_text_depth();
	test_view_text_cuts();
	test_view_text_mutations();
	test_text_members();
	test_text_strs();
	test_text_str();
	test_append_str();
	if (setup() != 0)
		T(0, "open a store");
	else
		test_store_parts();
	teardown();
	return tests_done();
}
