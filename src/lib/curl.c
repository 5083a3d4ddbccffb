/*
 * curl.c: the CA bundle every libcurl handle of the library trusts (see
 * gh_curl.h).
 */
#include <stdlib.h>
#include <unistd.h>

#include <curl/curl.h>

#include "gh_curl.h"

static const char *const bundles[] = {
	"/etc/ssl/certs/ca-certificates.crt",	/* Debian, Ubuntu, Alpine */
	"/etc/pki/tls/certs/ca-bundle.crt",	/* Amazon Linux, RHEL, Fedora */
	"/etc/ssl/cert.pem",			/* the BSDs, macOS */
};

const char *
gh_curl_ca_file(void)
{
	const curl_version_info_data	*vi;
	const char			*f;
	size_t				 i;

	if ((f = getenv("SSL_CERT_FILE")) != NULL && *f != '\0' &&
	    access(f, R_OK) == 0)
		return f;
	vi = curl_version_info(CURLVERSION_NOW);
	if (vi != NULL && vi->cainfo != NULL && access(vi->cainfo, R_OK) == 0)
		return vi->cainfo;
	for (i = 0; i < sizeof(bundles) / sizeof(bundles[0]); i++)
		if (access(bundles[i], R_OK) == 0)
			return bundles[i];
	return NULL;
}

void
gh_curl_ca_setup(CURL *c)
{
	const char	*f = gh_curl_ca_file();

	if (f != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, f);
}
