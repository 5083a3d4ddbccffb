/*
 * idp-wellknown.c: the embedded pool's public documents,
 * GET /idp/{userPoolId}/.well-known/jwks.json (the current and previous
 * signing keys) and GET /idp/{userPoolId}/.well-known/openid-configuration
 * (its issuer is exactly the tokens' "iss", see gh_auth_issuer).
 *
 * Statuses: 200; 404 for another pool id or another document; 405; 500 if
 * the keys cannot be read.  No auth: these are public.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gh_auth.h"
#include "gh_conf.h"
#include "gh_http.h"
#include "gh_json.h"
#include "gh_keys.h"

static struct gh_keys	*keys;

/* 1 if the {} segment is our pool's id. */
static int
our_pool(struct gh_req *r)
{
	return strcmp(gh_req_param(r), gh_conf_str(gh_req_conf(r),
	    GH_CONF_USER_POOL_ID)) == 0;
}

static void
jwks(struct gh_req *r)
{
	const char	*dir = gh_conf_str(gh_req_conf(r), GH_CONF_KEYS_DIR);
	struct gh_keys	*fresh = NULL;
	char		*doc = NULL;
	enum gh_err	 err;

	if (!our_pool(r)) {
		gh_reply_err(r, 404, "not_found", "No such user pool.");
		return;
	}
	if (keys == NULL || gh_keys_changed(keys, dir)) {
		if ((err = gh_keys_load(dir, 0, &fresh)) != GH_OK) {
			gh_reply_fail(r, err, "load keys");
			return;
		}
		gh_keys_free(keys);
		keys = fresh;
	}
	if ((err = gh_keys_jwks(keys, &doc)) != GH_OK) {
		gh_reply_fail(r, err, "jwks");
		return;
	}
	gh_header(r, "Cache-Control", "public, max-age=300");
	gh_reply_raw(r, 200, "application/json", doc, strlen(doc));
	free(doc);
}

static void
openid(struct gh_req *r)
{
	json_object	*o, *a;
	char		 iss[1024], url[1100];
	enum gh_err	 err;

	if (!our_pool(r)) {
		gh_reply_err(r, 404, "not_found", "No such user pool.");
		return;
	}
	if ((err = gh_auth_issuer(gh_req_conf(r), iss, sizeof(iss))) != GH_OK) {
		gh_reply_fail(r, err, "issuer");
		return;
	}
	if ((o = json_object_new_object()) == NULL) {
		gh_reply_fail(r, GH_ERR_NOMEM, "openid");
		return;
	}
	snprintf(url, sizeof(url), "%s/.well-known/jwks.json", iss);
	gh_json_add_str(o, "issuer", iss);
	gh_json_add_str(o, "jwks_uri", url);
	a = json_object_new_array();
	json_object_array_add(a, json_object_new_string("public"));
	json_object_object_add(o, "subject_types_supported", a);
	a = json_object_new_array();
	json_object_array_add(a, json_object_new_string("RS256"));
	json_object_object_add(o, "id_token_signing_alg_values_supported", a);
	a = json_object_new_array();
	json_object_array_add(a, json_object_new_string("token"));
	json_object_array_add(a, json_object_new_string("id_token"));
	json_object_object_add(o, "response_types_supported", a);
	a = json_object_new_array();
	json_object_array_add(a, json_object_new_string("openid"));
	json_object_array_add(a, json_object_new_string("email"));
	json_object_array_add(a, json_object_new_string("profile"));
	json_object_object_add(o, "scopes_supported", a);
	gh_reply(r, 200, o);
}

static const struct gh_route routes[] = {
	{ .method = GH_GET, .path = "/idp/{}/.well-known/jwks.json", .handler = jwks },
	{ .method = GH_GET, .path = "/idp/{}/.well-known/openid-configuration",
	  .handler = openid },
};

int
main(void)
{
	static const struct gh_app app = {
		.name = "idp-wellknown", .routes = routes,
		.nroutes = sizeof(routes) / sizeof(routes[0]),
		.embedded_pool = 1,	/* off (404) with idp = cognito */
	};

	return gh_main(&app);
}
