/*
 * config.c: the frontends' runtime configuration, GET /config.json,
 * /sso/config.json and /support/config.json, so one build of the Vue apps
 * serves the embedded pool or AWS Cognito.
 *
 * 200 {idpEndpoint, region, userPoolId, clientId, ssoUrl, applicationId,
 * channelId}.  Nothing here is secret: the app client has no secret.
 */
#include <stdio.h>
#include <string.h>

#include "gh_conf.h"
#include "gh_http.h"
#include "gh_json.h"

static void
config(struct gh_req *r)
{
	const struct gh_conf	*c = gh_req_conf(r);
	const char		*path = gh_req_path(r), *app = "marketplace";
	const char		*region, *pool, *client, *ep, *base;
	char			 endpoint[1024], sso[1024];
	json_object		*o;
	int			 cognito;

	cognito = strcmp(gh_conf_str(c, GH_CONF_IDP), "cognito") == 0;
	base = gh_conf_str(c, GH_CONF_PUBLIC_URL);
	if (cognito) {
		region = gh_conf_str(c, GH_CONF_COGNITO_REGION);
		pool = gh_conf_str(c, GH_CONF_COGNITO_USER_POOL_ID);
		client = gh_conf_str(c, GH_CONF_COGNITO_CLIENT_ID);
		ep = gh_conf_str(c, GH_CONF_COGNITO_ENDPOINT);
		if (*ep != '\0')
			snprintf(endpoint, sizeof(endpoint), "%s", ep);
		else
			snprintf(endpoint, sizeof(endpoint),
			    "https://cognito-idp.%s.amazonaws.com/", region);
	} else {
		region = gh_conf_str(c, GH_CONF_REGION);
		pool = gh_conf_str(c, GH_CONF_USER_POOL_ID);
		client = gh_conf_str(c, GH_CONF_CLIENT_ID);
		snprintf(endpoint, sizeof(endpoint), "%s/idp", base);
	}
	snprintf(sso, sizeof(sso), "%s/sso/", base);
	if (strcmp(path, "/support/config.json") == 0)
		app = "support";
	if ((o = json_object_new_object()) == NULL ||
	    gh_json_add_str(o, "idpEndpoint", endpoint) != GH_OK ||
	    gh_json_add_str(o, "region", region) != GH_OK ||
	    gh_json_add_str(o, "userPoolId", pool) != GH_OK ||
	    gh_json_add_str(o, "clientId", client) != GH_OK ||
	    gh_json_add_str(o, "ssoUrl", sso) != GH_OK ||
	    gh_json_add_str(o, "applicationId", app) != GH_OK ||
	    gh_json_add_str(o, "channelId", "web") != GH_OK) {
		json_object_put(o);
		gh_reply_fail(r, GH_ERR_NOMEM, "config");
		return;
	}
	gh_reply(r, 200, o);
}

static const struct gh_route routes[] = {
	{ .method = GH_GET, .path = "/config.json", .handler = config },
	{ .method = GH_GET, .path = "/sso/config.json", .handler = config },
	{ .method = GH_GET, .path = "/support/config.json", .handler = config },
};

int
main(void)
{
	static const struct gh_app app = {
		.name = "config", .routes = routes,
		.nroutes = sizeof(routes) / sizeof(routes[0]),
	};

	return gh_main(&app);
}
