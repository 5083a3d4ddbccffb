/*
 * jwt.c: RS256 JWT signing for the embedded user pool (see gh_jwt.h).
 *
 * Why OpenSSL EVP and not libjwt: the signing key is already parsed and
 * cached as an EVP_PKEY by gh_keys, and libjwt 1.10 takes only PEM bytes,
 * so every token would re-serialise and re-parse the private key (about a
 * millisecond each); libjwt also builds its own header (no control over
 * Cognito's {"kid","alg"} shape) and would be a second code path beside the
 * verifier, which must use EVP anyway.  EVP_DigestSign with SHA-256 on an RSA
 * key with the default PKCS#1 v1.5 padding is exactly RS256 (RFC 7518 3.3).
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "gh_crypto.h"
#include "gh_jwt.h"

enum gh_err
gh_jwt_sign_raw(EVP_PKEY *pkey, const char *header_json,
    const char *payload_json, char **out)
{
	EVP_MD_CTX	*ctx = NULL;
	unsigned char	*sig = NULL;
	char		*tok = NULL;
	size_t		 hlen, plen, siglen = 0, off, total;
	enum gh_err	 err = GH_ERR_CRYPTO;

	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA)
		return GH_ERR_INVAL;
	hlen = gh_b64url_enclen(strlen(header_json));
	plen = gh_b64url_enclen(strlen(payload_json));
	siglen = (size_t)EVP_PKEY_get_size(pkey);
	total = hlen + 1 + plen + 1 + gh_b64url_enclen(siglen) + 1;
	if ((tok = malloc(total)) == NULL || (sig = malloc(siglen)) == NULL) {
		err = GH_ERR_NOMEM;
		goto out;
	}
	gh_b64url_encode_buf(header_json, strlen(header_json), tok);
	tok[hlen] = '.';
	gh_b64url_encode_buf(payload_json, strlen(payload_json),
	    tok + hlen + 1);
	off = hlen + 1 + plen;

	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)tok,
	    off) != 1)
		goto out;
	tok[off] = '.';
	gh_b64url_encode_buf(sig, siglen, tok + off + 1);
	*out = tok;
	tok = NULL;
	err = GH_OK;
out:
	EVP_MD_CTX_free(ctx);
	free(sig);
	free(tok);
	return err;
}

enum gh_err
gh_jwt_sign(const struct gh_keys *keys, const json_object *claims,
    enum gh_jwt_header shape, char **out)
{
	json_object	*hdr = NULL;
	const char	*payload, *kid;
	enum gh_err	 err = GH_ERR_NOMEM;

	if (!json_object_is_type(claims, json_type_object) ||
	    (unsigned)shape >= GH_JWT_HEADER__MAX)
		return GH_ERR_INVAL;
	kid = gh_keys_current_kid(keys);
	if ((hdr = json_object_new_object()) == NULL)
		goto out;
	if (shape == GH_JWT_HEADER_COGNITO) {
		if (json_object_object_add(hdr, "kid",
		    json_object_new_string(kid)) != 0 ||
		    json_object_object_add(hdr, "alg",
		    json_object_new_string("RS256")) != 0)
			goto out;
	} else {
		if (json_object_object_add(hdr, "alg",
		    json_object_new_string("RS256")) != 0 ||
		    json_object_object_add(hdr, "kid",
		    json_object_new_string(kid)) != 0 ||
		    json_object_object_add(hdr, "typ",
		    json_object_new_string("JWT")) != 0)
			goto out;
	}
	/* json-c's to_json_string takes a non-const object but only caches
	 * the rendered text in it. */
	payload = json_object_to_json_string_ext((json_object *)claims,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (payload == NULL)
		goto out;
	err = gh_jwt_sign_raw(gh_keys_current(keys),
	    json_object_to_json_string_ext(hdr,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    payload, out);
out:
	json_object_put(hdr);
	return err;
}
