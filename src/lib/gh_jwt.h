/*
 * gh_jwt.h: signing JSON Web Tokens with RS256 (issuing side only).
 *
 * Verification lives in gh_verify.h, and only there.
 *
 * Ownership: the token returned in *out is a malloc'd string the caller
 * frees with free().  Claims and keys are borrowed.
 */
#ifndef GH_JWT_H
#define GH_JWT_H

#include <json-c/json.h>
#include <openssl/evp.h>

#include "gh_err.h"
#include "gh_keys.h"

/* The protected header's shape. */
enum gh_jwt_header {
	GH_JWT_HEADER_JWT = 0,	/* {"alg":"RS256","kid":K,"typ":"JWT"} */
	GH_JWT_HEADER_COGNITO,	/* {"kid":K,"alg":"RS256"}, as Cognito */
	GH_JWT_HEADER__MAX
};

/*
 * Signs claims (a JSON object) with the current key of keys, whose kid goes
 * in the header.  GH_ERR_INVAL if claims is not an object.
 */
enum gh_err	 gh_jwt_sign(const struct gh_keys *keys,
		    const json_object *claims, enum gh_jwt_header shape,
		    char **out);

/*
 * The primitive under gh_jwt_sign: base64url(header_json) "."
 * base64url(payload_json) "." base64url(RS256 signature under pkey).  The
 * two JSON texts are used byte for byte, unchecked: this exists for the
 * admin tool and for tests that must forge odd tokens.  pkey must be RSA.
 */
enum gh_err	 gh_jwt_sign_raw(EVP_PKEY *pkey, const char *header_json,
		    const char *payload_json, char **out);

#endif /* GH_JWT_H */
