/*
 * fuzz-verify.c: the token verifier over untrusted bytes.  The input is
 * the token; the verifier trusts a key made at start in a temp directory.
 * Both token uses are tried.  Nothing fuzzed may verify (the fuzzer cannot
 * forge RS256), and nothing may crash or leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gh_keys.h"
#include "gh_verify.h"

static struct gh_verifier *v;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char		 dir[] = "/tmp/gh-fuzz-keys-XXXXXX";
	struct gh_keys		*k = NULL;
	struct gh_verifier_cfg	 cfg;

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL || gh_keys_load(dir, GH_KEYS_CREATE, &k) != GH_OK)
		abort();
	gh_keys_free(k);
	memset(&cfg, 0, sizeof(cfg));
	cfg.issuer = "http://127.0.0.1/idp/us-east-1_fuzz";
	cfg.client_id = "fuzzclient";
	cfg.keys_dir = dir;
	if (gh_verifier_new(&cfg, &v) != GH_OK)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*tok;
	json_object	*claims = NULL;

	if ((tok = malloc(size + 1)) == NULL)
		return 0;
	memcpy(tok, data, size);
	tok[size] = '\0';
	if (gh_verify(v, tok, GH_TOKEN_ID, time(NULL), &claims) == GH_OK ||
	    gh_verify(v, tok, GH_TOKEN_ACCESS, time(NULL), &claims) == GH_OK)
		abort();	/* a forged token verified */
	free(tok);
	return 0;
}
