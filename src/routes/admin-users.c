/*
 * admin-users.c: user management for admins.
 *
 *   GET /api/admin/users            profiles, newest first; ?role= uses
 *                                   RoleIndex, else all users; ?status=
 *                                   filters each page
 *   PUT /api/admin/users/{user_id}  sets role (customer|partner) and/or
 *                                   status (active|suspended)
 *
 * Nobody becomes admin through the API, and an admin's own account is
 * managed with the admin tool only (bin/gatehouse user set-role), so an
 * admin cannot lock themselves or another admin out.  A change takes effect
 * on the user's very next request (the stored role and status are checked
 * on each).  Every change is logged with who did what.  Admins only.
 */
#include <stdio.h>
#include <string.h>

#include "gh_http.h"
#include "gh_json.h"
#include "gh_market.h"
#include "gh_store.h"

enum { Q_ROLE, Q_STATUS, Q_CURSOR, Q_LIMIT, Q__MAX };
static const struct gh_field qfields[Q__MAX] = {
	[Q_ROLE] = { "role", GH_SRC_QUERY, gh_market_valid_any_role, 0 },
	[Q_STATUS] = { "status", GH_SRC_QUERY, gh_market_valid_user_status, 0 },
	[Q_CURSOR] = { "cursor", GH_SRC_QUERY, gh_valid_cursor, 0 },
	[Q_LIMIT] = { "limit", GH_SRC_QUERY, gh_valid_limit, 0 },
};

enum { F_ROLE, F_STATUS, F__MAX };
static const struct gh_field fields[F__MAX] = {
	[F_ROLE] = { "role", GH_SRC_BODY, gh_market_valid_role, 0 },
	[F_STATUS] = { "status", GH_SRC_BODY, gh_market_valid_user_status, 0 },
};

static int
has_status(json_object *item, void *arg)
{
	const char *st = gh_json_str(item, "status");

	return strcmp(st != NULL ? st : "active", (const char *)arg) == 0;
}

/* 200 {items: [user], next_cursor}; 400 bad filter, cursor or limit; 401;
 * 403 not admin; 503. */
static void
list(struct gh_req *r)
{
	struct gh_query	 q = { 0 };
	const char	*status = gh_req_field(r, Q_STATUS)->str;
	char		 pk[64];

	q.table = GH_TABLE_MAIN;
	q.descending = 1;
	if (gh_req_field(r, Q_ROLE)->present) {
		snprintf(pk, sizeof(pk), "role-%s", gh_req_field(r, Q_ROLE)->str);
		q.index = GH_INDEX_GSI2;
		q.pk = pk;
	} else {
		q.index = GH_INDEX_GSI3;
		q.pk = "users";
	}
	gh_market_reply_page(r, &q, gh_req_field(r, Q_CURSOR)->str,
	    gh_req_field(r, Q_LIMIT)->num, status ? has_status : NULL,
	    (void *)status);
}

/*
 * 200 the user as stored; 400 invalid or no field (role admin is invalid);
 * 401; 403 not admin, or the target is an admin; 404 no such user; 503.
 */
static void
edit(struct gh_req *r)
{
	struct gh_store	*s = gh_req_store(r);
	const char	*role = gh_req_field(r, F_ROLE)->str;
	const char	*status = gh_req_field(r, F_STATUS)->str, *cur;
	json_object	*user = NULL;
	char		 pk[GH_STORE_KEY_MAX], what[200];
	enum gh_err	 err;

	if (role == NULL && status == NULL) {
		gh_reply_err(r, 400, "missing_field", "Send role and/or status.");
		return;
	}
	snprintf(pk, sizeof(pk), "user-%s", gh_req_param(r));
	err = gh_store_get(s, GH_TABLE_MAIN, pk, "user", &user);
	if (err == GH_ERR_NOTFOUND) {
		gh_reply_err(r, 404, "not_found", "No such user.");
		goto out;
	} else if (err != GH_OK) {
		gh_reply_fail(r, err, "get user");
		goto out;
	}
	if ((cur = gh_json_str(user, "role")) != NULL && strcmp(cur, "admin") == 0) {
		gh_reply_err(r, 403, "admin_managed",
		    "Admins are managed with the admin tool (bin/gatehouse).");
		goto out;
	}
	json_object_put(user);
	user = NULL;
	err = gh_market_user_set(s, gh_req_param(r), role, status, NULL, &user);
	if (err == GH_ERR_NOTFOUND) {
		gh_reply_err(r, 404, "not_found", "No such user.");
		goto out;
	} else if (err == GH_ERR_CONFLICT) {
		gh_reply_err(r, 409, "conflict", "The user changed meanwhile; try again.");
		goto out;
	} else if (err != GH_OK) {
		gh_reply_fail(r, err, "set user");
		goto out;
	}
	snprintf(what, sizeof(what), "set user%s%s%s%s", role ? " role=" : "",
	    role ? role : "", status ? " status=" : "", status ? status : "");
	gh_log_note(r, "actor", gh_req_sub(r));
	gh_log_note(r, "action", what);
	gh_log_note(r, "target", gh_req_param(r));
	gh_market_reply_view(r, 200, user);
out:
	json_object_put(user);
}

static const struct gh_route routes[] = {
	{ .method = GH_GET, .path = "/api/admin/users", .handler = list,
	  .fields = qfields, .nfields = Q__MAX, .auth = GH_AUTH_ID,
	  .roles = GH_ROLES(GH_ROLE_ADMIN), .flags = GH_R_STORE },
	{ .method = GH_PUT, .path = "/api/admin/users/{}", .handler = edit,
	  .fields = fields, .nfields = F__MAX, .auth = GH_AUTH_ID,
	  .roles = GH_ROLES(GH_ROLE_ADMIN), .flags = GH_R_JSON | GH_R_STORE },
};

int
main(void)
{
	static const struct gh_app app = {
		.name = "admin-users", .routes = routes,
		.nroutes = sizeof(routes) / sizeof(routes[0]),
	};

	return gh_main(&app);
}
