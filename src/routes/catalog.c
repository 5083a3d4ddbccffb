/*
 * catalog.c: GET /api/catalog, the published solutions, newest first,
 * optionally of one category (CategoryIdx), a page at a time.
 *
 * Any signed-in, active user (customer, partner, admin).
 */
#include <stdio.h>

#include "gh_http.h"
#include "gh_market.h"
#include "gh_store.h"

enum { Q_CATEGORY, Q_CURSOR, Q_LIMIT, Q__MAX };
static const struct gh_field fields[Q__MAX] = {
	[Q_CATEGORY] = { "category", GH_SRC_QUERY, gh_market_valid_category, 0 },
	[Q_CURSOR] = { "cursor", GH_SRC_QUERY, gh_valid_cursor, 0 },
	[Q_LIMIT] = { "limit", GH_SRC_QUERY, gh_valid_limit, 0 },
};

/*
 * 200 {items: [solution], next_cursor}; 400 bad category, cursor or limit;
 * 401; 403 suspended or no profile; 503 store.
 */
static void
catalog(struct gh_req *r)
{
	struct gh_query	 q = { 0 };
	char		 pk[80];

	q.table = GH_TABLE_MAIN;
	q.skop = GH_SK_BEGINS;
	q.sk1 = "published-";
	q.descending = 1;
	if (gh_req_field(r, Q_CATEGORY)->present) {
		snprintf(pk, sizeof(pk), "category-%s", gh_req_field(r, Q_CATEGORY)->str);
		q.index = GH_INDEX_GSI2;
		q.pk = pk;
	} else {
		q.index = GH_INDEX_GSI3;
		q.pk = "solutions";
	}
	gh_market_reply_page(r, &q, gh_req_field(r, Q_CURSOR)->str,
	    gh_req_field(r, Q_LIMIT)->num, NULL, NULL);
}

static const struct gh_route routes[] = {
	{ .method = GH_GET, .path = "/api/catalog", .handler = catalog,
	  .fields = fields, .nfields = Q__MAX, .auth = GH_AUTH_ID,
	  .roles = GH_ROLES_ALL, .flags = GH_R_STORE },
};

int
main(void)
{
	static const struct gh_app app = {
		.name = "catalog", .routes = routes,
		.nroutes = sizeof(routes) / sizeof(routes[0]),
	};

	return gh_main(&app);
}
