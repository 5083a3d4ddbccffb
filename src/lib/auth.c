/*
 * auth.c: the process's token verifier, made once from the configuration
 * (see gh_auth.h).  The embedded pool's keys are read from keys_dir, so a
 * program never fetches its own JWKS over HTTP; a Cognito pool's JWKS is
 * fetched from its well-known URL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gh_auth.h"
#include "gh_conf.h"
#include "gh_verify.h"

static struct gh_verifier	*verifier;
static const struct gh_conf	*verifier_conf;

enum gh_err
gh_auth_issuer(const struct gh_conf *conf, char *buf, size_t size)
{
	const char *ep = gh_conf_str(conf, GH_CONF_COGNITO_ENDPOINT);
	int	    n;

	if (strcmp(gh_conf_str(conf, GH_CONF_IDP), "cognito") == 0) {
		if (*ep != '\0')
			n = snprintf(buf, size, "%s/%s", ep,
			    gh_conf_str(conf, GH_CONF_COGNITO_USER_POOL_ID));
		else
			n = snprintf(buf, size, "https://cognito-idp.%s.amazonaws.com/%s",
			    gh_conf_str(conf, GH_CONF_COGNITO_REGION),
			    gh_conf_str(conf, GH_CONF_COGNITO_USER_POOL_ID));
	} else
		n = snprintf(buf, size, "%s/idp/%s", gh_conf_str(conf, GH_CONF_PUBLIC_URL),
		    gh_conf_str(conf, GH_CONF_USER_POOL_ID));
	return n < 0 || (size_t)n >= size ? GH_ERR_CONFIG : GH_OK;
}

const char *
gh_auth_client_id(const struct gh_conf *conf)
{
	return strcmp(gh_conf_str(conf, GH_CONF_IDP), "cognito") == 0 ?
	    gh_conf_str(conf, GH_CONF_COGNITO_CLIENT_ID) :
	    gh_conf_str(conf, GH_CONF_CLIENT_ID);
}

static enum gh_err
verifier_make(const struct gh_conf *conf)
{
	struct gh_verifier_cfg	cfg;
	char			iss[1024], jwks[1100];

	memset(&cfg, 0, sizeof(cfg));
	if (gh_auth_issuer(conf, iss, sizeof(iss)) != GH_OK)
		return GH_ERR_CONFIG;
	cfg.issuer = iss;
	cfg.client_id = gh_auth_client_id(conf);
	if (*cfg.client_id == '\0')
		return GH_ERR_CONFIG;
	if (strcmp(gh_conf_str(conf, GH_CONF_IDP), "cognito") == 0) {
		snprintf(jwks, sizeof(jwks), "%s/.well-known/jwks.json", iss);
		cfg.jwks_url = jwks;
	} else
		cfg.keys_dir = gh_conf_str(conf, GH_CONF_KEYS_DIR);
	gh_verifier_free(verifier);
	verifier = NULL;
	if (gh_verifier_new(&cfg, &verifier) != GH_OK)
		return GH_ERR_CONFIG;
	verifier_conf = conf;
	return GH_OK;
}

enum gh_err
gh_auth_verify(const struct gh_conf *conf, const char *token, const char *use,
    json_object **claims, const char **why)
{
	enum gh_err err;

	if (why != NULL)
		*why = NULL;
	if (verifier == NULL || verifier_conf != conf) {
		if ((err = verifier_make(conf)) != GH_OK) {
			if (why != NULL)
				*why = "verifier not configured";
			return err;
		}
	}
	err = gh_verify(verifier, token, strcmp(use, "access") == 0 ?
	    GH_TOKEN_ACCESS : GH_TOKEN_ID, time(NULL), claims);
	if (err == GH_ERR_NOMEM)
		return err;
	if (err != GH_OK) {
		if (why != NULL)
			*why = gh_verifier_errmsg(verifier);
		return err == GH_ERR_EXPIRED ? GH_ERR_EXPIRED : GH_ERR_TOKEN;
	}
	return GH_OK;
}
