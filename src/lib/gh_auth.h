/*
 * gh_auth.h: authentication of a request's bearer token, shared by the HTTP
 * layer (routes declaring GH_AUTH_*) and anything else that must check a
 * token (the user pool's GetUser, the SSO backend's body tokens).
 *
 * One verifier per process, made on first use from the configuration:
 * the embedded pool (issuer {public_url}/idp/{user_pool_id}, keys read from
 * keys_dir) or AWS Cognito (issuer https://cognito-idp.{region}.amazonaws.com/
 * {pool}, JWKS fetched over HTTPS, or from cognito_endpoint for a stand-in).
 */
#ifndef GH_AUTH_H
#define GH_AUTH_H

#include <stddef.h>

#include <json-c/json.h>

#include "gh_err.h"

struct gh_conf;

/*
 * Verifies token as an id token (use "id") or access token ("access").
 * On GH_OK *claims (owned by the caller) holds the verified claims.
 * GH_ERR_EXPIRED for an expired token, GH_ERR_TOKEN for any other failure,
 * GH_ERR_CONFIG when no verifier can be made.  *why (if not NULL) gets a
 * short static reason fit for logs (never token contents).
 */
enum gh_err	gh_auth_verify(const struct gh_conf *conf, const char *token,
		    const char *use, json_object **claims, const char **why);

/* The issuer ("iss") tokens of the configured pool carry. */
enum gh_err	gh_auth_issuer(const struct gh_conf *conf, char *buf, size_t size);

/* The app client id tokens are issued to ("aud" / "client_id"). */
const char	*gh_auth_client_id(const struct gh_conf *conf);

#endif /* GH_AUTH_H */
