/*
 * sso-authorize.c: GET /sso/api/authorize?application_id=A&channel_id=C,
 * the SSO frontend's first call: is this application and channel registered
 * here, and where will the user be sent back?  No authentication: the
 * answer is the application's public registration.
 */
#include "gh_http.h"
#include "gh_json.h"
#include "gh_sso.h"
#include "gh_store.h"

enum field { F_APP = 0, F_CHANNEL, F__MAX };

static const struct gh_field fields[F__MAX] = {
	[F_APP] = { "application_id", GH_SRC_QUERY, gh_valid_id, 1 },
	[F_CHANNEL] = { "channel_id", GH_SRC_QUERY, gh_valid_id, 1 },
};

/*
 * 200 {application_id, name, channel_id, return_url};
 * 400 missing_field / invalid_field; 404 unknown_application /
 * unknown_channel; 503 store unavailable; 500.
 */
static void
authorize(struct gh_req *r)
{
	const char	*app_id = gh_req_field(r, F_APP)->str;
	const char	*channel = gh_req_field(r, F_CHANNEL)->str;
	const char	*url;
	json_object	*app = NULL, *o = NULL;

	if (!gh_sso_req_app(r, app_id, channel, &app, &url))
		goto out;
	if ((o = json_object_new_object()) == NULL ||
	    gh_json_add_str(o, "application_id", app_id) != GH_OK ||
	    gh_json_add_str(o, "name", gh_json_str(app, "name") != NULL ?
	    gh_json_str(app, "name") : app_id) != GH_OK ||
	    gh_json_add_str(o, "channel_id", channel) != GH_OK ||
	    gh_json_add_str(o, "return_url", url) != GH_OK) {
		gh_reply_fail(r, GH_ERR_NOMEM, "authorize");
		goto out;
	}
	gh_reply(r, 200, o);
	o = NULL;
out:
	json_object_put(o);
	json_object_put(app);
}

static const struct gh_route routes[] = {
	{ .method = GH_GET, .path = "/sso/api/authorize", .handler = authorize,
	  .fields = fields, .nfields = F__MAX, .flags = GH_R_STORE },
};

int
main(void)
{
	static const struct gh_app app = {
		.name = "sso-authorize", .routes = routes,
		.nroutes = sizeof(routes) / sizeof(routes[0]),
	};

	return gh_main(&app);
}
