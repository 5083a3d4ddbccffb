/*
 * partner-solutions.c: a partner's solutions (an admin's: everybody's).
 *
 *   GET  /api/partner/solutions       a partner: their own (PartnerIdx),
 *                                     newest first; an admin: all
 *                                     (StatusIdx), optionally one status
 *   POST /api/partner/solutions       creates one, as a draft
 *   PUT  /api/partner/solutions/{id}  edits one (name, description, category,
 *                                     pricing) and/or moves its status
 *
 * Life cycle (gh_market_sol_move): draft <-> published, draft|published ->
 * retired by the owner or an admin; retired -> draft by an admin only; a
 * retired solution is edited by an admin only.  Only published solutions
 * are in the catalog and can be ordered.  Another partner's solution is 404
 * (its existence is not revealed).  Partners and admins only.
 */
#include <stdio.h>
#include <string.h>

#include "gh_http.h"
#include "gh_json.h"
#include "gh_market.h"
#include "gh_store.h"

enum { Q_STATUS, Q_CURSOR, Q_LIMIT, Q__MAX };
static const struct gh_field qfields[Q__MAX] = {
	[Q_STATUS] = { "status", GH_SRC_QUERY, gh_market_valid_sol_status, 0 },
	[Q_CURSOR] = { "cursor", GH_SRC_QUERY, gh_valid_cursor, 0 },
	[Q_LIMIT] = { "limit", GH_SRC_QUERY, gh_valid_limit, 0 },
};

enum { F_NAME, F_DESCRIPTION, F_CATEGORY, F_PRICING, F_STATUS, F__MAX };
static const struct gh_field cfields[F__MAX] = {
	[F_NAME] = { "name", GH_SRC_BODY, gh_market_valid_name, 1 },
	[F_DESCRIPTION] = { "description", GH_SRC_BODY, gh_market_valid_details, 0 },
	[F_CATEGORY] = { "category", GH_SRC_BODY, gh_market_valid_category, 1 },
	[F_PRICING] = { "pricing", GH_SRC_BODY, gh_market_valid_pricing, 1 },
	[F_STATUS] = { "status", GH_SRC_BODY, NULL, 0 },	/* refused below */
};
static const struct gh_field ufields[F__MAX] = {
	[F_NAME] = { "name", GH_SRC_BODY, gh_market_valid_name, 0 },
	[F_DESCRIPTION] = { "description", GH_SRC_BODY, gh_market_valid_details, 0 },
	[F_CATEGORY] = { "category", GH_SRC_BODY, gh_market_valid_category, 0 },
	[F_PRICING] = { "pricing", GH_SRC_BODY, gh_market_valid_pricing, 0 },
	[F_STATUS] = { "status", GH_SRC_BODY, gh_market_valid_sol_status, 0 },
};

static int
has_status(json_object *item, void *arg)
{
	const char *st = gh_json_str(item, "status");

	return st != NULL && strcmp(st, (const char *)arg) == 0;
}

/* 200 {items: [solution], next_cursor}; 400 bad status, cursor or limit;
 * 401; 403 customer, suspended; 503. */
static void
list(struct gh_req *r)
{
	struct gh_query	 q = { 0 };
	const char	*status = gh_req_field(r, Q_STATUS)->str;
	char		 pk[GH_STORE_KEY_MAX], sk[32];

	q.table = GH_TABLE_MAIN;
	q.descending = 1;
	if (gh_req_role(r) == GH_ROLE_ADMIN) {
		q.index = GH_INDEX_GSI3;
		q.pk = "solutions";
		if (status != NULL) {
			snprintf(sk, sizeof(sk), "%s-", status);
			q.skop = GH_SK_BEGINS;
			q.sk1 = sk;
		}
		status = NULL;
	} else {
		snprintf(pk, sizeof(pk), "partner-%s", gh_req_sub(r));
		q.index = GH_INDEX_GSI1;
		q.pk = pk;
	}
	gh_market_reply_page(r, &q, gh_req_field(r, Q_CURSOR)->str,
	    gh_req_field(r, Q_LIMIT)->num, status ? has_status : NULL,
	    (void *)status);
}

/* Copies the present fields of the request into sol. */
static enum gh_err
apply(struct gh_req *r, json_object *sol)
{
	static const char *const names[] = {
		[F_NAME] = "name", [F_DESCRIPTION] = "description",
		[F_CATEGORY] = "category", [F_STATUS] = "status",
	};
	const struct gh_value	*f;
	size_t			 i;

	for (i = 0; i < F__MAX; i++) {
		f = gh_req_field(r, i);
		if (!f->present)
			continue;
		if (i == F_PRICING) {
			/* The validated object, copied member by member. */
			json_object *p = json_object_new_object();
			if (p == NULL || json_object_object_add(sol, "pricing", p) != 0) {
				json_object_put(p);
				return GH_ERR_NOMEM;
			}
			if (gh_json_add_int(p, "amount", f->num) != GH_OK ||
			    gh_json_add_str(p, "currency",
			    gh_json_str(f->json, "currency")) != GH_OK)
				return GH_ERR_NOMEM;
		} else if (gh_json_add_str(sol, names[i], f->str) != GH_OK)
			return GH_ERR_NOMEM;
	}
	return GH_OK;
}

/* 201 the solution (status draft); 400 missing/invalid fields or a status;
 * 401; 403; 503. */
static void
create(struct gh_req *r)
{
	json_object	*sol = NULL;
	char		 id[GH_MARKET_ID_LEN], ts[GH_MARKET_TS_LEN];
	struct gh_cond	 cond = { GH_COND_NOT_EXISTS, 0 };
	enum gh_err	 err;

	if (gh_req_field(r, F_STATUS)->present) {
		gh_reply_err(r, 400, "invalid_field",
		    "A new solution is a draft; publish it with PUT.");
		return;
	}
	if ((err = gh_market_new_id(id)) != GH_OK) {
		gh_reply_fail(r, err, "solution id");
		return;
	}
	gh_market_now(ts);
	err = GH_ERR_NOMEM;
	if ((sol = json_object_new_object()) == NULL ||
	    gh_json_add_str(sol, "solution_id", id) != GH_OK ||
	    gh_json_add_str(sol, "partner_id", gh_req_sub(r)) != GH_OK ||
	    gh_json_add_str(sol, "description", "") != GH_OK ||
	    (err = apply(r, sol)) != GH_OK ||
	    (err = gh_json_add_str(sol, "status", "draft")) != GH_OK ||
	    (err = gh_json_add_str(sol, "created_at", ts)) != GH_OK ||
	    (err = gh_json_add_str(sol, "updated_at", ts)) != GH_OK ||
	    (err = gh_market_solution_keys(sol)) != GH_OK ||
	    (err = gh_store_put(gh_req_store(r), GH_TABLE_MAIN, sol, &cond)) != GH_OK) {
		gh_reply_fail(r, err, "create solution");
		goto out;
	}
	gh_log_note(r, "solution", id);
	gh_market_reply_view(r, 201, sol);
out:
	json_object_put(sol);
}

/*
 * 200 the solution as stored; 400 invalid fields or nothing to change;
 * 401; 403 customer; 404 unknown or another partner's; 409 a move the life
 * cycle does not allow (or by this role), a retired solution edited by its
 * partner, or a concurrent change; 503.
 */
static void
edit(struct gh_req *r)
{
	json_object	*sol = NULL;
	char		 pk[GH_STORE_KEY_MAX], ts[GH_MARKET_TS_LEN];
	const char	*owner, *want = gh_req_field(r, F_STATUS)->str;
	struct gh_cond	 cond = { GH_COND_VERSION, 0 };
	int		 admin = gh_req_role(r) == GH_ROLE_ADMIN, from, to, any = 0;
	size_t		 i;
	enum gh_err	 err;

	for (i = 0; i < F__MAX; i++)
		any |= gh_req_field(r, i)->present;
	if (!any) {
		gh_reply_err(r, 400, "missing_field", "Send a field to change.");
		return;
	}
	snprintf(pk, sizeof(pk), "solution-%s", gh_req_param(r));
	err = gh_store_get(gh_req_store(r), GH_TABLE_MAIN, pk, "solution", &sol);
	if (err == GH_OK && !admin && ((owner = gh_json_str(sol, "partner_id")) == NULL ||
	    strcmp(owner, gh_req_sub(r)) != 0))
		err = GH_ERR_NOTFOUND;
	if (err == GH_ERR_NOTFOUND) {
		gh_reply_err(r, 404, "not_found", "No such solution.");
		goto out;
	} else if (err != GH_OK) {
		gh_reply_fail(r, err, "get solution");
		goto out;
	}
	from = gh_market_enum(gh_sol_status_names, GH_SOL__MAX, gh_json_str(sol, "status"));
	to = want != NULL ? gh_market_enum(gh_sol_status_names, GH_SOL__MAX, want) : from;
	if (from < 0 || !gh_json_int(sol, "version", &cond.version)) {
		gh_reply_fail(r, GH_ERR_INTERNAL, "stored solution");
		goto out;
	}
	if (!gh_market_sol_move(from, to, admin)) {
		gh_reply_err(r, 409, "invalid_transition", "A %s solution cannot become %s%s.",
		    gh_sol_status_names[from], gh_sol_status_names[to],
		    admin ? "" : " (an admin can)");
		goto out;
	}
	if (from == GH_SOL_RETIRED && to == GH_SOL_RETIRED && !admin) {
		gh_reply_err(r, 409, "retired", "A retired solution cannot be edited.");
		goto out;
	}
	gh_market_now(ts);
	if ((err = apply(r, sol)) != GH_OK ||
	    (err = gh_json_add_str(sol, "updated_at", ts)) != GH_OK ||
	    (err = gh_market_solution_keys(sol)) != GH_OK) {
		gh_reply_fail(r, err, "edit solution");
		goto out;
	}
	json_object_object_del(sol, "version");
	err = gh_store_put(gh_req_store(r), GH_TABLE_MAIN, sol, &cond);
	if (err == GH_ERR_CONFLICT) {
		gh_reply_err(r, 409, "conflict", "The solution changed meanwhile; reload it.");
		goto out;
	} else if (err != GH_OK) {
		gh_reply_fail(r, err, "put solution");
		goto out;
	}
	gh_log_note(r, "solution", gh_req_param(r));
	if (from != to)
		gh_log_note(r, "action", gh_sol_status_names[to]);
	if (admin)
		gh_log_note(r, "actor", gh_req_sub(r));
	gh_market_reply_view(r, 200, sol);
out:
	json_object_put(sol);
}

static const struct gh_route routes[] = {
	{ .method = GH_GET, .path = "/api/partner/solutions", .handler = list,
	  .fields = qfields, .nfields = Q__MAX, .auth = GH_AUTH_ID,
	  .roles = GH_ROLES(GH_ROLE_PARTNER) | GH_ROLES(GH_ROLE_ADMIN),
	  .flags = GH_R_STORE },
	{ .method = GH_POST, .path = "/api/partner/solutions", .handler = create,
	  .fields = cfields, .nfields = F__MAX, .auth = GH_AUTH_ID,
	  .roles = GH_ROLES(GH_ROLE_PARTNER) | GH_ROLES(GH_ROLE_ADMIN),
	  .flags = GH_R_JSON | GH_R_STORE },
	{ .method = GH_PUT, .path = "/api/partner/solutions/{}", .handler = edit,
	  .fields = ufields, .nfields = F__MAX, .auth = GH_AUTH_ID,
	  .roles = GH_ROLES(GH_ROLE_PARTNER) | GH_ROLES(GH_ROLE_ADMIN),
	  .flags = GH_R_JSON | GH_R_STORE },
};

int
main(void)
{
	static const struct gh_app app = {
		.name = "partner-solutions", .routes = routes,
		.nroutes = sizeof(routes) / sizeof(routes[0]),
	};

	return gh_main(&app);
}
