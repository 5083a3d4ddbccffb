/*
 * fixture.c: identities for the SSO end-to-end cases without going through
 * the user pool (built as build/<B>/tests/e2e-fixture).
 *
 *   e2e-fixture CONF tokens SUB EMAIL [CLIENT_ID [TTL]]
 *
 * writes the User item of SUB (as the PostConfirmation trigger does: role
 * customer, status active, in EmailIndex) unless it exists, and prints
 * {"sub","id_token","access_token","refresh_token"}: tokens of the
 * configured embedded pool's shape signed with the server's own current key
 * (keys_dir), so the programs verify them exactly as they verify the pool's.
 * CLIENT_ID (default: the configured one) makes tokens of another app
 * client; TTL (default 3600; negative: already expired) their lifetime.
 *
 *   e2e-fixture CONF enrol SUB APPLICATION_ID
 *
 * enrols SUB in an application (the App-User item, as gh_sso_enrol writes
 * it), for the cases of closed applications.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gh_auth.h"
#include "gh_conf.h"
#include "gh_crypto.h"
#include "gh_json.h"
#include "gh_jwt.h"
#include "gh_keys.h"
#include "gh_sso.h"
#include "gh_store.h"

static json_object *
claims(const char *iss, const char *sub, const char *email, const char *use,
    const char *client, time_t now, long ttl)
{
	json_object	*c = json_object_new_object();
	char		 jti[GH_UUID_LEN];

	gh_uuid_v4(jti);
	gh_json_add_str(c, "sub", sub);
	gh_json_add_str(c, "iss", iss);
	gh_json_add_str(c, "token_use", use);
	gh_json_add_int(c, "iat", (int64_t)now - (ttl < 0 ? 2 * -ttl : 0));
	gh_json_add_int(c, "auth_time", (int64_t)now);
	gh_json_add_int(c, "exp", (int64_t)now + ttl);
	gh_json_add_str(c, "jti", jti);
	gh_json_add_str(c, "origin_jti", jti);
	if (strcmp(use, "id") == 0) {
		gh_json_add_str(c, "aud", client);
		gh_json_add_str(c, "email", email);
		json_object_object_add(c, "email_verified", json_object_new_boolean(1));
		gh_json_add_str(c, "cognito:username", sub);
		gh_json_add_str(c, "custom:role", "customer");
	} else {
		gh_json_add_str(c, "client_id", client);
		gh_json_add_str(c, "scope", "aws.cognito.signin.user.admin");
		gh_json_add_str(c, "username", sub);
	}
	return c;
}

static int
put_user(const struct gh_conf *conf, const char *sub, const char *email)
{
	struct gh_store	*s = NULL;
	json_object	*u = json_object_new_object();
	struct gh_cond	 cond = { GH_COND_NOT_EXISTS, 0 };
	char		 pk[300], gsi[300], ts[32];
	time_t		 now = time(NULL);
	struct tm	 tm;
	enum gh_err	 err;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(pk, sizeof(pk), "user-%s", sub);
	snprintf(gsi, sizeof(gsi), "email-%s", email);
	gh_json_add_str(u, "PK", pk);
	gh_json_add_str(u, "SK", "user");
	gh_json_add_str(u, "GSI1PK", gsi);
	gh_json_add_str(u, "GSI1SK", "user");
	gh_json_add_str(u, "GSI2PK", "role-customer");
	gh_json_add_str(u, "GSI2SK", ts);
	gh_json_add_str(u, "GSI3PK", "users");
	gh_json_add_str(u, "GSI3SK", ts);
	gh_json_add_str(u, "sub", sub);
	gh_json_add_str(u, "email", email);
	gh_json_add_str(u, "role", "customer");
	gh_json_add_str(u, "status", "active");
	gh_json_add_str(u, "created_at", ts);
	gh_json_add_str(u, "updated_at", ts);
	if ((err = gh_store_open(conf, &s)) == GH_OK) {
		err = gh_store_put(s, GH_TABLE_MAIN, u, &cond);
		if (err == GH_ERR_CONFLICT)
			err = GH_OK;
	}
	if (err != GH_OK)
		fprintf(stderr, "e2e-fixture: user: %s: %s\n", gh_strerror(err),
		    gh_store_errmsg(s));
	gh_store_free(s);
	json_object_put(u);
	return err == GH_OK ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	struct gh_conf	*conf = NULL;
	struct gh_keys	*keys = NULL;
	const char	*msg = NULL, *client;
	char		 iss[1024], refresh[GH_RANDOM_ID_LEN];
	char		*id = NULL, *acc = NULL;
	json_object	*c1 = NULL, *c2 = NULL, *out;
	time_t		 now = time(NULL);
	long		 ttl = 3600;
	int		 rc = 1;

	if (argc < 5 || (strcmp(argv[2], "tokens") != 0 &&
	    strcmp(argv[2], "enrol") != 0)) {
		fprintf(stderr, "usage: e2e-fixture CONF tokens SUB EMAIL "
		    "[CLIENT_ID [TTL]]\n       e2e-fixture CONF enrol SUB APP\n");
		return 2;
	}
	if (gh_conf_load(argv[1], 0, &conf, &msg) != GH_OK) {
		fprintf(stderr, "e2e-fixture: %s\n", msg ? msg : "config");
		return 1;
	}
	if (strcmp(argv[2], "enrol") == 0) {
		struct gh_store	*s = NULL;

		if (gh_store_open(conf, &s) == GH_OK &&
		    gh_sso_enrol(s, argv[3], argv[4], "test") == GH_OK)
			rc = 0;
		gh_store_free(s);
		goto out;
	}
	client = argc > 5 && argv[5][0] != '\0' ? argv[5] : gh_auth_client_id(conf);
	if (argc > 6)
		ttl = strtol(argv[6], NULL, 10);
	if (gh_auth_issuer(conf, iss, sizeof(iss)) != GH_OK ||
	    gh_keys_load(gh_conf_str(conf, GH_CONF_KEYS_DIR), 0, &keys) != GH_OK) {
		fprintf(stderr, "e2e-fixture: no issuer or keys\n");
		goto out;
	}
	if (put_user(conf, argv[3], argv[4]) != 0)
		goto out;
	c1 = claims(iss, argv[3], argv[4], "id", client, now, ttl);
	c2 = claims(iss, argv[3], argv[4], "access", client, now, ttl);
	if (gh_jwt_sign(keys, c1, GH_JWT_HEADER_COGNITO, &id) != GH_OK ||
	    gh_jwt_sign(keys, c2, GH_JWT_HEADER_COGNITO, &acc) != GH_OK ||
	    gh_random_id(refresh) != GH_OK)
		goto out;
	out = json_object_new_object();
	gh_json_add_str(out, "sub", argv[3]);
	gh_json_add_str(out, "email", argv[4]);
	gh_json_add_str(out, "id_token", id);
	gh_json_add_str(out, "access_token", acc);
	gh_json_add_str(out, "refresh_token", refresh);
	printf("%s\n", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN));
	json_object_put(out);
	rc = 0;
out:
	free(id);
	free(acc);
	json_object_put(c1);
	json_object_put(c2);
	gh_keys_free(keys);
	gh_conf_free(conf);
	return rc;
}
