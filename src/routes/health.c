/*
 * health.c: GET /api/health, liveness and store reachability, no auth.
 *
 * 200 {"status":"ok","store":"<backend>"} when the store answers;
 * 503 {"error":"store_unavailable",...} when it cannot be opened or pinged.
 */
#include "gh_conf.h"
#include "gh_http.h"
#include "gh_json.h"
#include "gh_store.h"

static void
health(struct gh_req *r)
{
	json_object	*o;
	enum gh_err	 err;

	if ((err = gh_store_ping(gh_req_store(r))) != GH_OK) {
		gh_reply_fail(r, err == GH_ERR_NOMEM ? err : GH_ERR_STORE, "store ping");
		return;
	}
	if ((o = json_object_new_object()) == NULL ||
	    gh_json_add_str(o, "status", "ok") != GH_OK ||
	    gh_json_add_str(o, "store", gh_conf_str(gh_req_conf(r), GH_CONF_STORE)) != GH_OK) {
		json_object_put(o);
		gh_reply_fail(r, GH_ERR_NOMEM, "health");
		return;
	}
	gh_reply(r, 200, o);
}

static const struct gh_route routes[] = {
	{ .method = GH_GET, .path = "/api/health", .handler = health,
	  .flags = GH_R_STORE },
};

int
main(void)
{
	static const struct gh_app app = {
		.name = "health", .routes = routes,
		.nroutes = sizeof(routes) / sizeof(routes[0]),
	};

	return gh_main(&app);
}
