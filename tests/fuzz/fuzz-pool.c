/*
 * fuzz-pool.c: the user pool's operations over untrusted request bodies.
 * The first byte picks the operation (SignUp .. RevokeToken), the rest is
 * the body, parsed strictly as the route would; objects are handed to the
 * operation on a throwaway SQLite store with the cheapest Argon2 costs.
 * Nothing may crash or leak; an answer is either a response object (GH_OK)
 * or a named fault with a message (GH_ERR_DENIED) or a server error.
 * Mail goes to a directory that does not exist, so SignUp's mail fails
 * (CodeDeliveryFailure) and a long run writes nothing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gh_conf.h"
#include "gh_json.h"
#include "gh_pool.h"
#include "gh_store.h"

static char		 dir[] = "/tmp/gh-fuzz-pool-XXXXXX";
static struct gh_conf	*conf;
static struct gh_store	*s;
static struct gh_pool	*pool;

static enum gh_err (*const ops[])(struct gh_pool *, struct gh_pool_call *) = {
	gh_pool_sign_up, gh_pool_confirm_sign_up, gh_pool_resend_code,
	gh_pool_initiate_auth, gh_pool_get_user, gh_pool_update_attributes,
	gh_pool_change_password, gh_pool_forgot_password, gh_pool_confirm_forgot,
	gh_pool_global_sign_out, gh_pool_revoke_token,
};

static void
cleanup(void)
{
	char p[160];

	gh_pool_free(pool);
	gh_store_free(s);
	gh_conf_free(conf);
	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	if (system(p) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const struct gh_pw_params cheap = { 1, 8, 1 };
	char	 p[128];
	FILE	*f;

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(p, sizeof(p), "%s/c.conf", dir);
	if ((f = fopen(p, "w")) == NULL)
		abort();
	fprintf(f, "store = sqlite\nsqlite_path = c.db\nkeys_dir = keys\n"
	    "mail_dir = no-such-dir\nuser_pool_id = us-east-1_Fuzz\n"
	    "client_id = fuzzclient\nthrottle_ip_limit = 0\n");
	fclose(f);
	if (gh_conf_load(p, 0, &conf, NULL) != GH_OK ||
	    gh_conf_set(conf, GH_CONF_STORE, "sqlite") != GH_OK ||
	    gh_conf_set(conf, GH_CONF_IDP, "embedded") != GH_OK ||
	    gh_store_open(conf, &s) != GH_OK || gh_pool_new(conf, &pool) != GH_OK)
		abort();
	gh_pool_set_pw_params(pool, &cheap);
	atexit(cleanup);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gh_pool_call	 c;
	json_object		*in = NULL;
	enum gh_err		 err;

	if (size < 1 || gh_json_parse((const char *)data + 1, size - 1, 16, &in,
	    NULL) != GH_OK)
		return 0;
	if (json_object_is_type(in, json_type_object)) {
		memset(&c, 0, sizeof(c));
		c.store = s;
		c.addr = "192.0.2.9";
		c.in = in;
		err = ops[data[0] % (sizeof(ops) / sizeof(ops[0]))](pool, &c);
		if (err == GH_OK && !json_object_is_type(c.out, json_type_object))
			abort();
		if (err == GH_ERR_DENIED && (c.fault <= GH_PF_NONE ||
		    c.fault >= GH_PF__MAX || c.msg[0] == '\0'))
			abort();
		if (err != GH_OK && c.out != NULL)
			abort();
		json_object_put(c.out);
	}
	json_object_put(in);
	return 0;
}
