/*
 * orders.c: GET /api/orders (the caller's orders from the Orders table,
 * newest first, a page at a time) and POST /api/orders (places one).
 *
 * An order's lines name solutions and quantities only: prices come from
 * the catalog (one batch get), the amount is computed here in integer minor
 * units with overflow checks, and a price or amount in the request is an
 * undeclared field, refused with 400 before this file runs.  Any signed-in,
 * active user.
 */
#include <stdio.h>
#include <string.h>

#include "gh_http.h"
#include "gh_json.h"
#include "gh_market.h"
#include "gh_store.h"

enum { Q_CURSOR, Q_LIMIT, Q__MAX };
static const struct gh_field qfields[Q__MAX] = {
	[Q_CURSOR] = { "cursor", GH_SRC_QUERY, gh_valid_cursor, 0 },
	[Q_LIMIT] = { "limit", GH_SRC_QUERY, gh_valid_limit, 0 },
};

enum { F_ITEMS, F__MAX };
static const struct gh_field fields[F__MAX] = {
	[F_ITEMS] = { "items", GH_SRC_BODY, gh_market_valid_lines, 1 },
};

/* 200 {items: [order], next_cursor}; 400 bad cursor or limit; 401; 403; 503. */
static void
list(struct gh_req *r)
{
	struct gh_query	 q = { 0 };
	char		 pk[GH_STORE_KEY_MAX];

	snprintf(pk, sizeof(pk), "user-%s", gh_req_sub(r));
	q.table = GH_TABLE_ORDERS;
	q.index = GH_INDEX_BASE;
	q.pk = pk;
	q.skop = GH_SK_BEGINS;
	q.sk1 = "order-";
	q.descending = 1;
	gh_market_reply_page(r, &q, gh_req_field(r, Q_CURSOR)->str,
	    gh_req_field(r, Q_LIMIT)->num, NULL, NULL);
}

/*
 * 201 {order_id, status: "placed", order_details: {amount, currency,
 * items: [{solution_id, name, quantity, price}]}, created_at};
 * 400 invalid items (shape, 1..20 lines, quantity 1..100, a solution twice,
 * an undeclared field such as a price), solution_unavailable (unknown or
 * not published), mixed_currency, amount_too_large; 401; 403; 503.
 */
static void
place(struct gh_req *r)
{
	struct gh_order_line	 lines[GH_MARKET_LINES_MAX];
	struct gh_key		 keys[GH_MARKET_LINES_MAX];
	char			 pks[GH_MARKET_LINES_MAX][200], pk[GH_STORE_KEY_MAX];
	char			 id[GH_MARKET_SEQ_ID_LEN], sk[64], ts[GH_MARKET_TS_LEN];
	struct gh_cond		 cond = { GH_COND_NOT_EXISTS, 0 };
	json_object		*sols = NULL, *details = NULL, *order = NULL;
	size_t			 n, i, bad = 0;
	enum gh_err		 err;

	n = gh_market_lines(gh_req_field(r, F_ITEMS)->json, lines);
	for (i = 0; i < n; i++) {
		snprintf(pks[i], sizeof(pks[i]), "solution-%s", lines[i].solution_id);
		keys[i].pk = pks[i];
		keys[i].sk = "solution";
	}
	if ((err = gh_store_batch_get(gh_req_store(r), GH_TABLE_MAIN, keys, n,
	    &sols)) != GH_OK) {
		gh_reply_fail(r, err, "batch get solutions");
		goto out;
	}
	err = gh_market_order_price(lines, n, sols, &details, &bad);
	if (err == GH_ERR_NOTFOUND) {
		gh_reply_err(r, 400, "solution_unavailable",
		    "Solution \"%s\" is not in the catalog.", lines[bad].solution_id);
		goto out;
	} else if (err == GH_ERR_CONFLICT) {
		gh_reply_err(r, 400, "mixed_currency",
		    "All items of an order must have one currency.");
		goto out;
	} else if (err == GH_ERR_TOOLARGE) {
		gh_reply_err(r, 400, "amount_too_large", "The order's total is too large.");
		goto out;
	} else if (err != GH_OK) {
		gh_reply_fail(r, err, "price order");
		goto out;
	}
	if ((err = gh_market_new_seq_id(id)) != GH_OK) {
		gh_reply_fail(r, err, "order id");
		goto out;
	}
	gh_market_now(ts);
	snprintf(pk, sizeof(pk), "user-%s", gh_req_sub(r));
	snprintf(sk, sizeof(sk), "order-%s", id);
	if ((order = json_object_new_object()) == NULL ||
	    gh_json_add_str(order, "PK", pk) != GH_OK ||
	    gh_json_add_str(order, "SK", sk) != GH_OK ||
	    gh_json_add_str(order, "order_id", id) != GH_OK ||
	    gh_json_add_str(order, "user_id", gh_req_sub(r)) != GH_OK ||
	    gh_json_add_str(order, "status", "placed") != GH_OK ||
	    gh_json_add_str(order, "created_at", ts) != GH_OK ||
	    json_object_object_add(order, "order_details", json_object_get(details)) != 0) {
		gh_reply_fail(r, GH_ERR_NOMEM, "order");
		goto out;
	}
	if ((err = gh_store_put(gh_req_store(r), GH_TABLE_ORDERS, order, &cond)) != GH_OK) {
		gh_reply_fail(r, err, "put order");
		goto out;
	}
	gh_log_note(r, "order", id);
	gh_market_reply_view(r, 201, order);
out:
	json_object_put(order);
	json_object_put(details);
	json_object_put(sols);
}

static const struct gh_route routes[] = {
	{ .method = GH_GET, .path = "/api/orders", .handler = list,
	  .fields = qfields, .nfields = Q__MAX, .auth = GH_AUTH_ID,
	  .roles = GH_ROLES_ALL, .flags = GH_R_STORE },
	{ .method = GH_POST, .path = "/api/orders", .handler = place,
	  .fields = fields, .nfields = F__MAX, .auth = GH_AUTH_ID,
	  .roles = GH_ROLES_ALL, .flags = GH_R_JSON | GH_R_STORE },
};

int
main(void)
{
	static const struct gh_app app = {
		.name = "orders", .routes = routes,
		.nroutes = sizeof(routes) / sizeof(routes[0]),
	};

	return gh_main(&app);
}
