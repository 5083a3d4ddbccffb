/*
 * sso-get-session.c: POST /sso/api/get-session {session_id, application_id},
 * the application's side of the hand-over: redeems a session id for the
 * user's token set, once.  No bearer token (the application has none yet):
 * the 256-bit session id is the credential, single-use, short-lived and
 * bound to its application (see gh_sso.h for why one atomic delete is the
 * redemption, and why a wrong application consumes nothing).
 */
#include <time.h>

#include "gh_http.h"
#include "gh_json.h"
#include "gh_sso.h"
#include "gh_store.h"

enum field { F_SESSION = 0, F_APP, F__MAX };

static const struct gh_field fields[F__MAX] = {
	[F_SESSION] = { "session_id", GH_SRC_BODY, gh_valid_session_id, 1 },
	[F_APP] = { "application_id", GH_SRC_BODY, gh_valid_id, 1 },
};

/*
 * 200 {id_token, access_token, refresh_token, expires_in} the first time;
 * 404 session_not_found for an unknown, expired, redeemed or other
 * application's id (all alike); 400 bad body or field; 415; 503; 500.
 */
static void
get_session(struct gh_req *r)
{
	json_object	*set = NULL;
	int64_t		 exp = 0, in;
	enum gh_err	 err;

	err = gh_sso_session_redeem(gh_req_conf(r), gh_req_store(r),
	    gh_req_field(r, F_APP)->str, gh_req_field(r, F_SESSION)->str, &set);
	if (err == GH_ERR_NOTFOUND || err == GH_ERR_CRYPTO) {
		if (err == GH_ERR_CRYPTO)
			gh_log_note(r, "session", "sealed token set did not open");
		gh_reply_err(r, 404, "session_not_found",
		    "This sign-in link is unknown, used or expired. Sign in again.");
		goto out;
	} else if (err != GH_OK) {
		gh_reply_fail(r, err, "session redeem");
		goto out;
	}
	gh_json_int(set, "exp", &exp);
	in = exp - (int64_t)time(NULL);
	json_object_object_del(set, "exp");
	if (gh_json_add_int(set, "expires_in", in > 0 ? in : 0) != GH_OK) {
		gh_reply_fail(r, GH_ERR_NOMEM, "get-session");
		goto out;
	}
	gh_reply(r, 200, set);
	set = NULL;
out:
	json_object_put(set);
}

static const struct gh_route routes[] = {
	{ .method = GH_POST, .path = "/sso/api/get-session",
	  .handler = get_session, .fields = fields, .nfields = F__MAX,
	  .flags = GH_R_JSON | GH_R_STORE },
};

int
main(void)
{
	static const struct gh_app app = {
		.name = "sso-get-session", .routes = routes,
		.nroutes = sizeof(routes) / sizeof(routes[0]),
	};

	return gh_main(&app);
}
