/*
 * sso-check-app-user.c: POST /sso/api/check-app-user {application_id} with
 * the user's id token as bearer: may this user sign in to this application?
 * "authorized" is true when the user is enrolled (the App-User item exists)
 * or the application's enrolment is open (init-session will enrol them);
 * "enrolled" says which.  The caller's stored status is checked by the
 * library (a suspended account gets 403).
 */
#include "gh_http.h"
#include "gh_json.h"
#include "gh_sso.h"
#include "gh_store.h"

enum field { F_APP = 0, F__MAX };

static const struct gh_field fields[F__MAX] = {
	[F_APP] = { "application_id", GH_SRC_BODY, gh_valid_id, 1 },
};

/*
 * 200 {authorized, enrolled}; 400 bad body or field; 401 no or bad bearer
 * token; 403 no_profile / account_suspended; 404 unknown_application;
 * 415; 503; 500.
 */
static void
check(struct gh_req *r)
{
	const char	*app_id = gh_req_field(r, F_APP)->str;
	json_object	*app = NULL, *o = NULL;
	int		 enrolled = 0;
	enum gh_err	 err;

	if (!gh_sso_req_app(r, app_id, NULL, &app, NULL))
		goto out;
	if ((err = gh_sso_enrolled(gh_req_store(r), gh_req_sub(r), app_id,
	    &enrolled)) != GH_OK) {
		gh_reply_fail(r, err, "enrolment lookup");
		goto out;
	}
	if ((o = json_object_new_object()) == NULL ||
	    json_object_object_add(o, "authorized",
	    json_object_new_boolean(enrolled || gh_sso_app_open(app))) != 0 ||
	    json_object_object_add(o, "enrolled",
	    json_object_new_boolean(enrolled)) != 0) {
		gh_reply_fail(r, GH_ERR_NOMEM, "check-app-user");
		goto out;
	}
	gh_reply(r, 200, o);
	o = NULL;
out:
	json_object_put(o);
	json_object_put(app);
}

static const struct gh_route routes[] = {
	{ .method = GH_POST, .path = "/sso/api/check-app-user", .handler = check,
	  .fields = fields, .nfields = F__MAX, .auth = GH_AUTH_ID,
	  .roles = GH_ROLES_ALL, .flags = GH_R_JSON | GH_R_STORE },
};

int
main(void)
{
	static const struct gh_app app = {
		.name = "sso-check-app-user", .routes = routes,
		.nroutes = sizeof(routes) / sizeof(routes[0]),
	};

	return gh_main(&app);
}
