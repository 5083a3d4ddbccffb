/*
 * sso-init-session.c: POST /sso/api/init-session, the hand-over.  The SSO
 * frontend, holding the user's tokens, asks for a short-lived single-use
 * session id for the application and sends the user to the redirect URL,
 * where the application redeems the id (sso-get-session) for the tokens.
 *
 * The bearer id token is verified by the library (and the caller's stored
 * status checked); the id and access tokens of the body are verified here
 * too and must be the same user's and the same app client's; the refresh
 * token is opaque (only its shape is checked).  The redirect URL is built
 * from the channel's registered return_url alone: the request declares no
 * field that could steer it, and undeclared fields are refused.
 * The session item and its encryption: see gh_sso.h.
 */
#include <stdlib.h>
#include <string.h>

#include "gh_auth.h"
#include "gh_http.h"
#include "gh_json.h"
#include "gh_sso.h"
#include "gh_store.h"

enum field {
	F_APP = 0, F_CHANNEL, F_ID_TOKEN, F_ACCESS_TOKEN, F_REFRESH_TOKEN,
	F__MAX
};

static const struct gh_field fields[F__MAX] = {
	[F_APP] = { "application_id", GH_SRC_BODY, gh_valid_id, 1 },
	[F_CHANNEL] = { "channel_id", GH_SRC_BODY, gh_valid_id, 1 },
	[F_ID_TOKEN] = { "id_token", GH_SRC_BODY, gh_valid_token, 1 },
	[F_ACCESS_TOKEN] = { "access_token", GH_SRC_BODY, gh_valid_token, 1 },
	[F_REFRESH_TOKEN] = { "refresh_token", GH_SRC_BODY, gh_valid_token, 1 },
};

static int
claim_eq(json_object *claims, const char *key, const char *want)
{
	const char	*v = gh_json_str(claims, key);

	return v != NULL && want != NULL && strcmp(v, want) == 0;
}

/*
 * Verifies the body's id and access tokens against the bearer's claims.
 * Replies and returns 0 on failure; on success *exp gets the earlier exp.
 */
static int
body_tokens(struct gh_req *r, int64_t *exp)
{
	const struct gh_conf	*c = gh_req_conf(r);
	json_object		*bearer = gh_req_claims(r), *id = NULL, *acc = NULL;
	const char		*why = NULL;
	int64_t			 e1 = 0, e2 = 0;
	enum gh_err		 err;
	int			 ok = 0;

	err = gh_auth_verify(c, gh_req_field(r, F_ID_TOKEN)->str, "id", &id, &why);
	if (err == GH_OK)
		err = gh_auth_verify(c, gh_req_field(r, F_ACCESS_TOKEN)->str,
		    "access", &acc, &why);
	if (err == GH_ERR_CONFIG) {
		gh_reply_fail(r, err, "token verifier");
		goto out;
	} else if (err != GH_OK) {
		gh_log_note(r, "body_token", why != NULL ? why : gh_strerror(err));
		gh_reply_err(r, 400, "invalid_token_set",
		    "The id or access token in the body is not valid.");
		goto out;
	}
	if (!claim_eq(id, "sub", gh_req_sub(r)) ||
	    !claim_eq(acc, "sub", gh_req_sub(r)) ||
	    !claim_eq(id, "aud", gh_json_str(bearer, "aud")) ||
	    !claim_eq(acc, "client_id", gh_json_str(bearer, "aud"))) {
		gh_reply_err(r, 403, "token_mismatch",
		    "The tokens in the body belong to another user or client.");
		goto out;
	}
	if (!gh_json_int(id, "exp", &e1) || !gh_json_int(acc, "exp", &e2)) {
		gh_reply_fail(r, GH_ERR_INTERNAL, "verified token without exp");
		goto out;
	}
	*exp = e1 < e2 ? e1 : e2;
	ok = 1;
out:
	json_object_put(id);
	json_object_put(acc);
	return ok;
}

/*
 * 201 {session_id, redirect_url, expires_at (Unix seconds)};
 * 400 bad body, field (including any undeclared one such as redirect_url)
 * or invalid_token_set; 401 no or bad bearer token; 403 no_profile /
 * account_suspended / token_mismatch / not_enrolled; 404
 * unknown_application / unknown_channel; 413; 415; 503; 500.
 */
static void
init_session(struct gh_req *r)
{
	struct gh_store		*s = gh_req_store(r);
	const char		*app_id = gh_req_field(r, F_APP)->str, *url;
	const char		*sub = gh_req_sub(r);
	struct gh_sso_tokens	 t;
	char			 sid[GH_SSO_SESSION_ID_LEN], *redirect = NULL;
	json_object		*app = NULL, *o = NULL;
	int64_t			 expires_at = 0;
	int			 enrolled = 0;
	enum gh_err		 err;

	memset(&t, 0, sizeof(t));
	if (!body_tokens(r, &t.exp))
		goto out;
	if (!gh_sso_req_app(r, app_id, gh_req_field(r, F_CHANNEL)->str, &app, &url))
		goto out;
	if ((err = gh_sso_enrolled(s, sub, app_id, &enrolled)) != GH_OK) {
		gh_reply_fail(r, err, "enrolment lookup");
		goto out;
	}
	if (!enrolled && !gh_sso_app_open(app)) {
		gh_reply_err(r, 403, "not_enrolled",
		    "This account has no access to this application.");
		goto out;
	}
	if (!enrolled && (err = gh_sso_enrol(s, sub, app_id, "sso")) != GH_OK) {
		gh_reply_fail(r, err, "enrol");
		goto out;
	}
	t.id_token = gh_req_field(r, F_ID_TOKEN)->str;
	t.access_token = gh_req_field(r, F_ACCESS_TOKEN)->str;
	t.refresh_token = gh_req_field(r, F_REFRESH_TOKEN)->str;
	if ((err = gh_sso_session_create(gh_req_conf(r), s, app_id, sub, &t,
	    sid, &expires_at)) != GH_OK) {
		gh_reply_fail(r, err, "session create");
		goto out;
	}
	if ((err = gh_sso_redirect_url(url, sid, &redirect)) != GH_OK ||
	    (o = json_object_new_object()) == NULL ||
	    gh_json_add_str(o, "session_id", sid) != GH_OK ||
	    gh_json_add_str(o, "redirect_url", redirect) != GH_OK ||
	    gh_json_add_int(o, "expires_at", expires_at) != GH_OK) {
		gh_reply_fail(r, GH_ERR_NOMEM, "init-session");
		goto out;
	}
	gh_reply(r, 201, o);
	o = NULL;
out:
	free(redirect);
	json_object_put(o);
	json_object_put(app);
}

static const struct gh_route routes[] = {
	{ .method = GH_POST, .path = "/sso/api/init-session",
	  .handler = init_session, .fields = fields, .nfields = F__MAX,
	  .auth = GH_AUTH_ID, .roles = GH_ROLES_ALL,
	  .flags = GH_R_JSON | GH_R_STORE },
};

int
main(void)
{
	static const struct gh_app app = {
		.name = "sso-init-session", .routes = routes,
		.nroutes = sizeof(routes) / sizeof(routes[0]),
	};

	return gh_main(&app);
}
