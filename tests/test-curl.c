/*
 * test-curl.c: the CA bundle the library's curl handles trust (gh_curl.h):
 * $SSL_CERT_FILE first when readable, never an unreadable file, and on this
 * Debian machine libcurl's own bundle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gh_curl.h"
#include "tests.h"

int
main(void)
{
	const curl_version_info_data	*vi = curl_version_info(CURLVERSION_NOW);
	char				 tmpl[] = "/tmp/gh-ca-XXXXXX";
	const char			*f;
	int				 fd;

	unsetenv("SSL_CERT_FILE");
	f = gh_curl_ca_file();
	T(f != NULL && access(f, R_OK) == 0, "a readable bundle is found");
	if (vi->cainfo != NULL && access(vi->cainfo, R_OK) == 0)
		T(f != NULL && strcmp(f, vi->cainfo) == 0,
		    "libcurl's own bundle when it exists");

	if ((fd = mkstemp(tmpl)) < 0)
		abort();
	close(fd);
	setenv("SSL_CERT_FILE", tmpl, 1);
	f = gh_curl_ca_file();
	T(f != NULL && strcmp(f, tmpl) == 0, "SSL_CERT_FILE wins when readable");
	unlink(tmpl);
	f = gh_curl_ca_file();
	T(f != NULL && strcmp(f, tmpl) != 0,
	    "an unreadable SSL_CERT_FILE is passed over");
	setenv("SSL_CERT_FILE", "", 1);
	T(gh_curl_ca_file() != NULL, "an empty SSL_CERT_FILE is ignored");
	unsetenv("SSL_CERT_FILE");
	return tests_done();
}
