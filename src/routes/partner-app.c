/*
 * partner-app.c: applying to become a partner.
 *
 *   GET  /api/partner/app   the caller's applications, newest first
 *   POST /api/partner/app   applies (status pending); an admin decides with
 *                           PUT /api/admin/apps/{app_id} (admin-apps.c)
 *
 * One open application per user, whatever the concurrency: the application
 * is written first, then the guard item user-{sub} / openapp with "not
 * exists"; the request that loses the guard removes its application and
 * answers 409.  A guard whose application is decided or gone is stale and is
 * replaced (version-conditioned), so a failed clean-up never locks a user
 * out.  Any signed-in, active user; partners and admins are 409.
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

enum { F_COMPANY, F_DETAILS, F_WEBSITE, F__MAX };
static const struct gh_field fields[F__MAX] = {
	[F_COMPANY] = { "company_name", GH_SRC_BODY, gh_market_valid_name, 1 },
	[F_DETAILS] = { "details", GH_SRC_BODY, gh_market_valid_details, 1 },
	[F_WEBSITE] = { "website", GH_SRC_BODY, gh_valid_url, 0 },
};

/* 200 {items: [application], next_cursor}; 400 bad cursor or limit; 401; 403; 503. */
static void
list(struct gh_req *r)
{
	struct gh_query	 q = { 0 };
	char		 pk[GH_STORE_KEY_MAX];

	snprintf(pk, sizeof(pk), "user-%s", gh_req_sub(r));
	q.table = GH_TABLE_MAIN;
	q.pk = pk;
	q.skop = GH_SK_BEGINS;
	q.sk1 = "partnerapp-";
	q.descending = 1;
	gh_market_reply_page(r, &q, gh_req_field(r, Q_CURSOR)->str,
	    gh_req_field(r, Q_LIMIT)->num, NULL, NULL);
}

/*
 * Takes the open-application guard for app_id.  GH_ERR_CONFLICT if another
 * application of the user is pending.
 */
static enum gh_err
take_guard(struct gh_store *s, const char *pk, const char *app_id, const char *ts)
{
	json_object	*guard = NULL, *old = NULL, *app = NULL;
	struct gh_cond	 cond = { GH_COND_NOT_EXISTS, 0 };
	char		 sk[GH_STORE_KEY_MAX];
	const char	*st;
	int		 tries;
	enum gh_err	 err = GH_ERR_NOMEM;

	if ((guard = json_object_new_object()) == NULL ||
	    gh_json_add_str(guard, "PK", pk) != GH_OK ||
	    gh_json_add_str(guard, "SK", "openapp") != GH_OK ||
	    gh_json_add_str(guard, "app_id", app_id) != GH_OK ||
	    gh_json_add_str(guard, "created_at", ts) != GH_OK)
		goto out;
	for (tries = 0; tries < 2; tries++) {
		cond.type = GH_COND_NOT_EXISTS;
		if ((err = gh_store_put(s, GH_TABLE_MAIN, guard, &cond)) != GH_ERR_CONFLICT)
			goto out;
		/* Is the holder still pending? */
		json_object_put(old);
		json_object_put(app);
		old = app = NULL;
		if ((err = gh_store_get(s, GH_TABLE_MAIN, pk, "openapp", &old)) == GH_ERR_NOTFOUND)
			continue;
		if (err != GH_OK)
			goto out;
		snprintf(sk, sizeof(sk), "partnerapp-%s", gh_json_str(old, "app_id") ?
		    gh_json_str(old, "app_id") : "");
		err = gh_store_get(s, GH_TABLE_MAIN, pk, sk, &app);
		if (err == GH_OK && (st = gh_json_str(app, "status")) != NULL &&
		    strcmp(st, "pending") == 0) {
			err = GH_ERR_CONFLICT;
			goto out;
		}
		if (err != GH_OK && err != GH_ERR_NOTFOUND)
			goto out;
		/* Stale: remove it unless it changed meanwhile, and try again. */
		cond.type = GH_COND_VERSION;
		if (!gh_json_int(old, "version", &cond.version)) {
			err = GH_ERR_INTERNAL;
			goto out;
		}
		err = gh_store_delete(s, GH_TABLE_MAIN, pk, "openapp", &cond, NULL);
		if (err != GH_OK && err != GH_ERR_NOTFOUND && err != GH_ERR_CONFLICT)
			goto out;
		err = GH_ERR_CONFLICT;
	}
out:
	json_object_put(app);
	json_object_put(old);
	json_object_put(guard);
	return err;
}

/*
 * 201 the application (status pending); 400 missing or invalid fields;
 * 401; 403; 409 already_partner, application_open; 503.
 */
static void
apply(struct gh_req *r)
{
	struct gh_store	*s = gh_req_store(r);
	json_object	*app = NULL;
	char		 id[GH_MARKET_SEQ_ID_LEN], ts[GH_MARKET_TS_LEN];
	const char	*email = gh_json_str(gh_req_user(r), "email");
	const char	*pk, *sk;
	struct gh_cond	 cond = { GH_COND_NOT_EXISTS, 0 };
	enum gh_err	 err;

	if (gh_req_role(r) != GH_ROLE_CUSTOMER) {
		gh_reply_err(r, 409, "already_partner", gh_req_role(r) == GH_ROLE_ADMIN ?
		    "Admins do not need to apply." : "You are already a partner.");
		return;
	}
	if (gh_req_field(r, F_DETAILS)->len == 0) {
		gh_reply_err(r, 400, "invalid_field", "Field \"details\" is not valid.");
		return;
	}
	if ((err = gh_market_new_seq_id(id)) != GH_OK) {
		gh_reply_fail(r, err, "application id");
		return;
	}
	gh_market_now(ts);
	if ((app = json_object_new_object()) == NULL ||
	    gh_json_add_str(app, "app_id", id) != GH_OK ||
	    gh_json_add_str(app, "user_id", gh_req_sub(r)) != GH_OK ||
	    gh_json_add_str(app, "email", email ? email : "") != GH_OK ||
	    gh_json_add_str(app, "company_name", gh_req_field(r, F_COMPANY)->str) != GH_OK ||
	    gh_json_add_str(app, "details", gh_req_field(r, F_DETAILS)->str) != GH_OK ||
	    (gh_req_field(r, F_WEBSITE)->present &&
	    gh_json_add_str(app, "website", gh_req_field(r, F_WEBSITE)->str) != GH_OK) ||
	    gh_json_add_str(app, "status", "pending") != GH_OK ||
	    gh_json_add_str(app, "created_at", ts) != GH_OK ||
	    gh_json_add_str(app, "updated_at", ts) != GH_OK ||
	    gh_market_app_keys(app) != GH_OK) {
		gh_reply_fail(r, GH_ERR_NOMEM, "application");
		goto out;
	}
	pk = gh_json_str(app, "PK");
	sk = gh_json_str(app, "SK");
	if ((err = gh_store_put(s, GH_TABLE_MAIN, app, &cond)) != GH_OK) {
		gh_reply_fail(r, err, "put application");
		goto out;
	}
	if ((err = take_guard(s, pk, id, ts)) != GH_OK) {
		(void)gh_store_delete(s, GH_TABLE_MAIN, pk, sk, NULL, NULL);
		if (err == GH_ERR_CONFLICT)
			gh_reply_err(r, 409, "application_open",
			    "You already have an application waiting for review.");
		else
			gh_reply_fail(r, err, "application guard");
		goto out;
	}
	gh_log_note(r, "application", id);
	gh_market_reply_view(r, 201, app);
out:
	json_object_put(app);
}

static const struct gh_route routes[] = {
	{ .method = GH_GET, .path = "/api/partner/app", .handler = list,
	  .fields = qfields, .nfields = Q__MAX, .auth = GH_AUTH_ID,
	  .roles = GH_ROLES_ALL, .flags = GH_R_STORE },
	{ .method = GH_POST, .path = "/api/partner/app", .handler = apply,
	  .fields = fields, .nfields = F__MAX, .auth = GH_AUTH_ID,
	  .roles = GH_ROLES_ALL, .flags = GH_R_JSON | GH_R_STORE },
};

int
main(void)
{
	static const struct gh_app app = {
		.name = "partner-app", .routes = routes,
		.nroutes = sizeof(routes) / sizeof(routes[0]),
	};

	return gh_main(&app);
}
