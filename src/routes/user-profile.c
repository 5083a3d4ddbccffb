/*
 * user-profile.c: GET and PUT /api/user/profile, the caller's own User item
 * (README "Data model").  Only profile fields are writable: name,
 * given_name, family_name, phone_number (also accepted as "phone", the
 * client's spelling), gender, company, accepts_marketing.  Role, e-mail,
 * status and ids are not declared, so sending one is a 400.  An empty
 * string clears a field.  Any signed-in, active user.
 */
#include <stdio.h>
#include <string.h>

#include "gh_http.h"
#include "gh_json.h"
#include "gh_market.h"
#include "gh_store.h"

enum {
	F_NAME, F_GIVEN, F_FAMILY, F_PHONE_NUMBER, F_PHONE, F_GENDER, F_COMPANY,
	F_MARKETING, F__MAX
};
static const struct gh_field fields[F__MAX] = {
	[F_NAME] = { "name", GH_SRC_BODY, gh_market_valid_label, 0 },
	[F_GIVEN] = { "given_name", GH_SRC_BODY, gh_market_valid_label, 0 },
	[F_FAMILY] = { "family_name", GH_SRC_BODY, gh_market_valid_label, 0 },
	[F_PHONE_NUMBER] = { "phone_number", GH_SRC_BODY, gh_market_valid_phone, 0 },
	[F_PHONE] = { "phone", GH_SRC_BODY, gh_market_valid_phone, 0 },
	[F_GENDER] = { "gender", GH_SRC_BODY, gh_market_valid_label, 0 },
	[F_COMPANY] = { "company", GH_SRC_BODY, gh_market_valid_label, 0 },
	[F_MARKETING] = { "accepts_marketing", GH_SRC_BODY, gh_market_valid_json_bool, 0 },
};

/* 200 the profile; 401; 403 suspended or no profile; 503. */
static void
get(struct gh_req *r)
{
	gh_market_reply_view(r, 200, gh_req_user(r));
}

/*
 * 200 the profile as stored; 400 a bad, unknown or read-only field, phone
 * and phone_number together, or no field at all; 401; 403; 503.
 */
static void
put(struct gh_req *r)
{
	static const char *const attr[F__MAX] = {
		[F_NAME] = "name", [F_GIVEN] = "given_name", [F_FAMILY] = "family_name",
		[F_PHONE_NUMBER] = "phone_number", [F_PHONE] = "phone_number",
		[F_GENDER] = "gender", [F_COMPANY] = "company",
	};
	const char		*rm[F__MAX];
	json_object		*set = NULL, *out = NULL;
	struct gh_update	 u;
	struct gh_cond		 cond = { GH_COND_EXISTS, 0 };
	char			 pk[GH_STORE_KEY_MAX], ts[GH_MARKET_TS_LEN];
	const struct gh_value	*f;
	size_t			 i, nrm = 0, nset = 0;
	enum gh_err		 err;

	if (gh_req_field(r, F_PHONE)->present && gh_req_field(r, F_PHONE_NUMBER)->present) {
		gh_reply_err(r, 400, "invalid_field",
		    "Send \"phone\" or \"phone_number\", not both.");
		return;
	}
	gh_market_now(ts);
	if ((set = json_object_new_object()) == NULL ||
	    gh_json_add_str(set, "updated_at", ts) != GH_OK)
		goto nomem;
	for (i = 0; i < F__MAX; i++) {
		f = gh_req_field(r, i);
		if (!f->present)
			continue;
		nset++;
		if (i == F_MARKETING) {
			if (json_object_object_add(set, "accepts_marketing",
			    json_object_new_boolean(f->boolean)) != 0)
				goto nomem;
		} else if (f->len == 0)
			rm[nrm++] = attr[i];
		else if (gh_json_add_str(set, attr[i], f->str) != GH_OK)
			goto nomem;
	}
	if (nset == 0) {
		json_object_put(set);
		gh_reply_err(r, 400, "missing_field", "Send at least one profile field.");
		return;
	}
	memset(&u, 0, sizeof(u));
	u.set = set;
	u.remove = rm;
	u.nremove = nrm;
	snprintf(pk, sizeof(pk), "user-%s", gh_req_sub(r));
	if ((err = gh_store_update(gh_req_store(r), GH_TABLE_MAIN, pk, "user", &u,
	    &cond, &out)) != GH_OK) {
		json_object_put(set);
		gh_reply_fail(r, err, "update profile");
		return;
	}
	json_object_put(set);
	gh_market_reply_view(r, 200, out);
	json_object_put(out);
	return;
nomem:
	json_object_put(set);
	gh_reply_fail(r, GH_ERR_NOMEM, "profile");
}

static const struct gh_route routes[] = {
	{ .method = GH_GET, .path = "/api/user/profile", .handler = get,
	  .auth = GH_AUTH_ID, .roles = GH_ROLES_ALL, .flags = GH_R_STORE },
	{ .method = GH_PUT, .path = "/api/user/profile", .handler = put,
	  .fields = fields, .nfields = F__MAX, .auth = GH_AUTH_ID,
	  .roles = GH_ROLES_ALL, .flags = GH_R_JSON | GH_R_STORE },
};

int
main(void)
{
	static const struct gh_app app = {
		.name = "user-profile", .routes = routes,
		.nroutes = sizeof(routes) / sizeof(routes[0]),
	};

	return gh_main(&app);
}
