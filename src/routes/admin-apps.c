/*
 * admin-apps.c: partner applications for admins.
 *
 *   GET /api/admin/apps            applications, newest first; ?status=
 *                                  pending|approved|rejected (by-status index)
 *   PUT /api/admin/apps/{app_id}   decides one: {status: approved|rejected,
 *                                  note}
 *
 * A decision is a version-conditioned write of a pending application, so
 * of two concurrent decisions exactly one wins (the other is 409).
 * Approval then makes the applicant a partner (the User item's role and its
 * RoleIndex key, in step; an admin stays admin), and the applicant's
 * open-application guard is released.  Repeating the same decision is 200
 * and repeats those steps (a repair after a failure midway).  Every
 * decision is logged with who did what.  Admins only.
 */
#include <stdio.h>
#include <string.h>

#include "gh_http.h"
#include "gh_json.h"
#include "gh_market.h"
#include "gh_store.h"

enum { Q_STATUS, Q_CURSOR, Q_LIMIT, Q__MAX };
static const struct gh_field qfields[Q__MAX] = {
	[Q_STATUS] = { "status", GH_SRC_QUERY, gh_market_valid_app_status, 0 },
	[Q_CURSOR] = { "cursor", GH_SRC_QUERY, gh_valid_cursor, 0 },
	[Q_LIMIT] = { "limit", GH_SRC_QUERY, gh_valid_limit, 0 },
};

enum { F_STATUS, F_NOTE, F__MAX };
static const struct gh_field fields[F__MAX] = {
	[F_STATUS] = { "status", GH_SRC_BODY, gh_market_valid_decision, 1 },
	[F_NOTE] = { "note", GH_SRC_BODY, gh_market_valid_details, 0 },
};

/* 200 {items: [application], next_cursor}; 400 bad status, cursor or
 * limit; 401; 403 not admin; 503. */
static void
list(struct gh_req *r)
{
	struct gh_query	 q = { 0 };
	char		 pk[64];

	q.table = GH_TABLE_MAIN;
	q.descending = 1;
	if (gh_req_field(r, Q_STATUS)->present) {
		snprintf(pk, sizeof(pk), "partnerapps-%s", gh_req_field(r, Q_STATUS)->str);
		q.index = GH_INDEX_GSI2;
		q.pk = pk;
	} else {
		q.index = GH_INDEX_GSI3;
		q.pk = "partnerapps";
	}
	gh_market_reply_page(r, &q, gh_req_field(r, Q_CURSOR)->str,
	    gh_req_field(r, Q_LIMIT)->num, NULL, NULL);
}


/* Releases the user's open-application guard if it is app_id's. */
static enum gh_err
release_guard(struct gh_store *s, const char *pk, const char *app_id)
{
	json_object	*g = NULL;
	struct gh_cond	 cond = { GH_COND_VERSION, 0 };
	const char	*id;
	enum gh_err	 err;

	err = gh_store_get(s, GH_TABLE_MAIN, pk, "openapp", &g);
	if (err == GH_ERR_NOTFOUND)
		return GH_OK;
	if (err != GH_OK)
		return err;
	if ((id = gh_json_str(g, "app_id")) != NULL && strcmp(id, app_id) == 0 &&
	    gh_json_int(g, "version", &cond.version)) {
		err = gh_store_delete(s, GH_TABLE_MAIN, pk, "openapp", &cond, NULL);
		if (err == GH_ERR_NOTFOUND || err == GH_ERR_CONFLICT)
			err = GH_OK;
	}
	json_object_put(g);
	return err;
}

/*
 * 200 the application as stored; 400 missing or invalid status or note;
 * 401; 403 not admin; 404 no such application; 409 already decided the
 * other way, or decided concurrently; 503.
 */
static void
decide(struct gh_req *r)
{
	struct gh_store	*s = gh_req_store(r);
	const char	*want = gh_req_field(r, F_STATUS)->str, *cur, *user;
	json_object	*app = NULL;
	struct gh_cond	 cond = { GH_COND_VERSION, 0 };
	char		 ts[GH_MARKET_TS_LEN], what[64], pk[GH_STORE_KEY_MAX];
	enum gh_err	 err;

	snprintf(pk, sizeof(pk), "partnerapp-%s", gh_req_param(r));
	err = gh_market_find_one(s, GH_INDEX_GSI1, pk, "partnerapp", 1, &app);
	if (err == GH_ERR_NOTFOUND) {
		gh_reply_err(r, 404, "not_found", "No such application.");
		goto out;
	} else if (err != GH_OK) {
		gh_reply_fail(r, err, "find application");
		goto out;
	}
	cur = gh_json_str(app, "status");
	user = gh_json_str(app, "user_id");
	if (cur == NULL || user == NULL || !gh_json_int(app, "version", &cond.version)) {
		gh_reply_fail(r, GH_ERR_INTERNAL, "stored application");
		goto out;
	}
	if (strcmp(cur, "pending") == 0) {
		gh_market_now(ts);
		if (gh_json_add_str(app, "status", want) != GH_OK ||
		    gh_json_add_str(app, "reviewer", gh_req_sub(r)) != GH_OK ||
		    gh_json_add_str(app, "reviewed_at", ts) != GH_OK ||
		    gh_json_add_str(app, "updated_at", ts) != GH_OK ||
		    (gh_req_field(r, F_NOTE)->present && gh_json_add_str(app, "note",
		    gh_req_field(r, F_NOTE)->str) != GH_OK) ||
		    gh_market_app_keys(app) != GH_OK) {
			gh_reply_fail(r, GH_ERR_NOMEM, "decide application");
			goto out;
		}
		user = gh_json_str(app, "user_id");
		json_object_object_del(app, "version");
		err = gh_store_put(s, GH_TABLE_MAIN, app, &cond);
		if (err == GH_ERR_CONFLICT) {
			gh_reply_err(r, 409, "conflict",
			    "The application was decided meanwhile; reload it.");
			goto out;
		} else if (err != GH_OK) {
			gh_reply_fail(r, err, "put application");
			goto out;
		}
	} else if (strcmp(cur, want) != 0) {
		gh_reply_err(r, 409, "already_decided", "This application is already %s.", cur);
		goto out;
	}
	snprintf(what, sizeof(what), "partner application %s", want);
	gh_log_note(r, "actor", gh_req_sub(r));
	gh_log_note(r, "action", what);
	gh_log_note(r, "target", gh_req_param(r));
	if (strcmp(want, "approved") == 0) {
		err = gh_market_user_set(s, user, "partner", NULL, "customer", NULL);
		if (err != GH_OK && err != GH_ERR_NOTFOUND) {
			gh_reply_fail(r, err, "make partner");
			goto out;
		}
	}
	if ((err = release_guard(s, gh_json_str(app, "PK"), gh_req_param(r))) != GH_OK) {
		gh_reply_fail(r, err, "release guard");
		goto out;
	}
	gh_market_reply_view(r, 200, app);
out:
	json_object_put(app);
}

static const struct gh_route routes[] = {
	{ .method = GH_GET, .path = "/api/admin/apps", .handler = list,
	  .fields = qfields, .nfields = Q__MAX, .auth = GH_AUTH_ID,
	  .roles = GH_ROLES(GH_ROLE_ADMIN), .flags = GH_R_STORE },
	{ .method = GH_PUT, .path = "/api/admin/apps/{}", .handler = decide,
	  .fields = fields, .nfields = F__MAX, .auth = GH_AUTH_ID,
	  .roles = GH_ROLES(GH_ROLE_ADMIN), .flags = GH_R_JSON | GH_R_STORE },
};

int
main(void)
{
	static const struct gh_app app = {
		.name = "admin-apps", .routes = routes,
		.nroutes = sizeof(routes) / sizeof(routes[0]),
	};

	return gh_main(&app);
}
