/*
 * sigv4.c: AWS Signature Version 4 (gh_sigv4.h).
 *
 *   CanonicalRequest = method \n uri \n query \n headers \n signed \n hash
 *   StringToSign     = "AWS4-HMAC-SHA256" \n amzdate \n scope \n hex(sha256(creq))
 *   key              = HMAC(HMAC(HMAC(HMAC("AWS4" secret, date), region),
 *                      service), "aws4_request")
 *   signature        = hex(HMAC(key, sts))
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gh_crypto.h"
#include "gh_sigv4.h"

#define MAX_HEADERS	64
#define MAX_PARAMS	128

static int
unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* AWS's URI encoding of s[0..len): everything but unreserved (and '/'). */
static void
uri_encode(FILE *f, const char *s, size_t len, int keep_slash)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (unreserved(c) || (keep_slash && c == '/'))
			fputc(c, f);
		else
			fprintf(f, "%%%02X", c);
	}
}

/* Percent-decodes then AWS-encodes s[0..len) into a new string. */
static char *
reencode(const char *s, size_t len)
{
	char	*dec, *out = NULL;
	size_t	 i, n = 0, outlen;
	FILE	*f;

	if ((dec = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len && gh_hex_digit(s[i + 1]) >= 0 &&
		    gh_hex_digit(s[i + 2]) >= 0) {
			dec[n++] = (char)(gh_hex_digit(s[i + 1]) << 4 |
			    gh_hex_digit(s[i + 2]));
			i += 2;
		} else
			dec[n++] = s[i];
	}
	if ((f = open_memstream(&out, &outlen)) != NULL) {
		uri_encode(f, dec, n, 0);
		if (fclose(f) != 0) {
			free(out);
			out = NULL;
		}
	}
	free(dec);
	return out;
}

/* The normalised, encoded path. */
static void
canon_path(FILE *f, const char *path)
{
	const char	*segs[256], *p = path, *e;
	size_t		 lens[256], n = 0, i, plen = strlen(path);

	while (*p != '\0') {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		e = strchr(p, '/');
		if (e == NULL)
			e = p + strlen(p);
		if (e - p == 1 && p[0] == '.')
			;
		else if (e - p == 2 && p[0] == '.' && p[1] == '.') {
			if (n > 0)
				n--;
		} else if (n < sizeof(segs) / sizeof(segs[0])) {
			segs[n] = p;
			lens[n++] = (size_t)(e - p);
		}
		p = e;
	}
	for (i = 0; i < n; i++) {
		fputc('/', f);
		uri_encode(f, segs[i], lens[i], 0);
	}
	if (n == 0 || (plen > 0 && path[plen - 1] == '/'))
		fputc('/', f);
}

struct param {
	char	*name, *value;
};

static int
param_cmp(const void *a, const void *b)
{
	const struct param *x = a, *y = b;
	int	 c;

	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return strcmp(x->value, y->value);
}

static int
canon_query(FILE *f, const char *q)
{
	struct param	 ps[MAX_PARAMS];
	size_t		 n = 0, i;
	const char	*p, *amp, *eq;
	int		 rc = -1;

	for (p = q; p != NULL && *p != '\0'; p = amp != NULL ? amp + 1 : NULL) {
		amp = strchr(p, '&');
		const char *end = amp != NULL ? amp : p + strlen(p);
		if (end == p)
			continue;
		if (n == MAX_PARAMS)
			goto out;
		eq = memchr(p, '=', (size_t)(end - p));
		ps[n].name = reencode(p, (size_t)((eq != NULL ? eq : end) - p));
		ps[n].value = eq != NULL ? reencode(eq + 1,
		    (size_t)(end - eq - 1)) : strdup("");
		n++;
		if (ps[n - 1].name == NULL || ps[n - 1].value == NULL)
			goto out;
	}
	qsort(ps, n, sizeof(ps[0]), param_cmp);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%s=%s", i ? "&" : "", ps[i].name, ps[i].value);
	rc = 0;
out:
	for (i = 0; i < n; i++) {
		free(ps[i].name);
		free(ps[i].value);
	}
	return rc;
}

struct hdr {
	char	*name;		/* lower case */
	char	*value;		/* canonical */
	size_t	 order;
};

static int
hdr_cmp(const void *a, const void *b)
{
	const struct hdr *x = a, *y = b;
	int	 c;

	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Trimmed, spaces folded, obs-folds turned into ",". */
static char *
canon_value(const char *v)
{
	char	*out, *o;
	int	 space = 0;

	if ((out = malloc(strlen(v) + 1)) == NULL)
		return NULL;
	o = out;
	while (*v == ' ' || *v == '\t')
		v++;
	for (; *v != '\0'; v++) {
		if (*v == '\r' || *v == '\n') {
			while (v[1] == '\r' || v[1] == '\n' || v[1] == ' ' ||
			    v[1] == '\t')
				v++;
			space = 0;
			if (o > out && v[1] != '\0')
				*o++ = ',';
			continue;
		}
		if (*v == ' ' || *v == '\t') {
			space = 1;
			continue;
		}
		if (space && o > out && o[-1] != ',')
			*o++ = ' ';
		space = 0;
		*o++ = *v;
	}
	*o = '\0';
	return out;
}

void
gh_sigv4_amzdate(time_t t, char out[17])
{
	struct tm	 tm;

	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static int
amzdate_ok(const char *d)
{
	size_t	 i;

	if (d == NULL || strlen(d) != 16 || d[8] != 'T' || d[15] != 'Z')
		return 0;
	for (i = 0; i < 15; i++)
		if (i != 8 && !isdigit((unsigned char)d[i]))
			return 0;
	return 1;
}

static enum gh_err
hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
	return gh_hmac_sha256(key, klen, msg, strlen(msg), out);
}

enum gh_err
gh_sigv4_sign(const struct gh_sigv4_request *r, const struct gh_sigv4_key *k,
    const char *amzdate, char **authorization, char **creq_out,
    char **sts_out)
{
	struct hdr	 hs[MAX_HEADERS];
	char		*creq = NULL, *sts = NULL, *signed_h = NULL, *auth = NULL;
	char		*secret = NULL, date[9], hash[GH_SHA256_HEX_LEN];
	char		 sig[GH_SHA256_HEX_LEN];
	unsigned char	 kd[GH_SHA256_LEN], mac[GH_SHA256_LEN];
	size_t		 n = 0, i, j, len;
	FILE		*f = NULL;
	enum gh_err	 err = GH_ERR_INVAL;

	if (r == NULL || k == NULL || authorization == NULL ||
	    r->method == NULL || r->path == NULL || r->path[0] != '/' ||
	    k->access_key == NULL || k->secret_key == NULL ||
	    k->region == NULL || k->service == NULL || !amzdate_ok(amzdate) ||
	    r->nheaders > MAX_HEADERS || (r->body == NULL && r->bodylen > 0))
		return GH_ERR_INVAL;
	memcpy(date, amzdate, 8);
	date[8] = '\0';

	err = GH_ERR_NOMEM;
	for (n = 0; n < r->nheaders; n++) {
		hs[n].order = n;
		hs[n].value = NULL;
		if ((hs[n].name = strdup(r->headers[n].name)) == NULL)
			goto out;
		for (j = 0; hs[n].name[j] != '\0'; j++)
			hs[n].name[j] = (char)tolower(
			    (unsigned char)hs[n].name[j]);
		if ((hs[n].value = canon_value(r->headers[n].value)) == NULL) {
			n++;
			goto out;
		}
	}
	qsort(hs, n, sizeof(hs[0]), hdr_cmp);

	/* The signed header list. */
	if ((f = open_memstream(&signed_h, &len)) == NULL)
		goto out;
	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(hs[i].name, hs[i - 1].name) != 0)
			fprintf(f, "%s%s", i ? ";" : "", hs[i].name);
	if (fclose(f) != 0)
		goto out;

	/* The canonical request. */
	if ((f = open_memstream(&creq, &len)) == NULL)
		goto out;
	fprintf(f, "%s\n", r->method);
	canon_path(f, r->path);
	fputc('\n', f);
	if (canon_query(f, r->query) != 0) {
		fclose(f);
		goto out;
	}
	fputc('\n', f);
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(hs[i].name, hs[i - 1].name) == 0)
			fprintf(f, ",%s", hs[i].value);
		else
			fprintf(f, "%s%s:%s", i ? "\n" : "", hs[i].name,
			    hs[i].value);
	}
	if ((err = gh_sha256_hex(r->body != NULL ? r->body : "", r->bodylen,
	    hash)) != GH_OK) {
		fclose(f);
		goto out;
	}
	fprintf(f, "\n\n%s\n%s", signed_h, hash);
	err = GH_ERR_NOMEM;
	if (fclose(f) != 0)
		goto out;

	/* The string to sign. */
	if ((err = gh_sha256_hex(creq, strlen(creq), hash)) != GH_OK)
		goto out;
	err = GH_ERR_NOMEM;
	if (asprintf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s",
	    amzdate, date, k->region, k->service, hash) < 0) {
		sts = NULL;
		goto out;
	}

	/* The signing key and the signature. */
	if (asprintf(&secret, "AWS4%s", k->secret_key) < 0) {
		secret = NULL;
		goto out;
	}
	if ((err = hmac(secret, strlen(secret), date, kd)) != GH_OK ||
	    (err = hmac(kd, sizeof(kd), k->region, kd)) != GH_OK ||
	    (err = hmac(kd, sizeof(kd), k->service, kd)) != GH_OK ||
	    (err = hmac(kd, sizeof(kd), "aws4_request", kd)) != GH_OK ||
	    (err = hmac(kd, sizeof(kd), sts, mac)) != GH_OK)
		goto out;
	gh_hex_encode(mac, sizeof(mac), sig);
	err = GH_ERR_NOMEM;
	if (asprintf(&auth, "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/"
	    "aws4_request, SignedHeaders=%s, Signature=%s", k->access_key,
	    date, k->region, k->service, signed_h, sig) < 0) {
		auth = NULL;
		goto out;
	}
	*authorization = auth;
	auth = NULL;
	if (creq_out != NULL) {
		*creq_out = creq;
		creq = NULL;
	}
	if (sts_out != NULL) {
		*sts_out = sts;
		sts = NULL;
	}
	err = GH_OK;
out:
	for (i = 0; i < n; i++) {
		free(hs[i].name);
		free(hs[i].value);
	}
	if (secret != NULL) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
	explicit_bzero(kd, sizeof(kd));
	free(auth);
	free(signed_h);
	free(creq);
	free(sts);
	return err;
}
