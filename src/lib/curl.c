/*
 * curl.c: the CA bundle every libcurl handle of the library trusts (see
 * gh_curl.h), and the bounded answer body they write into.
 */
#include <stdlib.h>
#include <string.h>
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

size_t
gh_curl_body_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct gh_curl_body	*b = arg;
	size_t			 n = size * nmemb;
	char			*p;

	if (n > b->max - b->len) {
		b->toolarge = 1;
		return 0;	/* aborts the transfer */
	}
	if ((p = realloc(b->buf, b->len + n + 1)) == NULL)
		return 0;
	b->buf = p;
	memcpy(b->buf + b->len, ptr, n);
	b->len += n;
	b->buf[b->len] = '\0';
	return n;
}

void
gh_curl_body_free(struct gh_curl_body *b)
{
	if (b->buf != NULL)
		explicit_bzero(b->buf, b->len);
	free(b->buf);
	b->buf = NULL;
	b->len = 0;
	b->toolarge = 0;
}
