/*
 * fuzz-request.c: the request cycle over untrusted bytes.  Input: the
 * first line is the request URI (path and query), the second the
 * Content-Type, the rest the body.  The route declares every kind of field
 * so the JSON parser, the query decoder, the path matcher and the
 * validators all see fuzzed input.  Any crash, leak or sanitizer report is
 * a finding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gh_conf.h"
#include "gh_http.h"
#include "gh_http_impl.h"

struct fio {
	struct gh_io	 io;
	const char	*env[8];
	const char	*body;
	size_t		 len, off;
};

static const char *
f_getenv(struct gh_io *io, const char *name)
{
	struct fio	*f = (struct fio *)io;
	size_t		 n = strlen(name), i;

	for (i = 0; f->env[i] != NULL; i++)
		if (strncmp(f->env[i], name, n) == 0 && f->env[i][n] == '=')
			return f->env[i] + n + 1;
	return NULL;
}

static long
f_read(struct gh_io *io, char *buf, size_t len)
{
	struct fio *f = (struct fio *)io;
	size_t n = f->len - f->off < len ? f->len - f->off : len;

	memcpy(buf, f->body + f->off, n);
	f->off += n;
	return (long)n;
}

static void
f_write(struct gh_io *io, const char *buf, size_t len)
{
	(void)io;
	(void)buf;
	(void)len;
}

enum { F_ID, F_EMAIL, F_URL, F_N, F_B, F_TOK, F_OBJ, F_ARR, F_TXT, Q_LIMIT, Q_CURSOR, F__MAX };
static const struct gh_field fields[F__MAX] = {
	{ "id", GH_SRC_BODY, gh_valid_id, 0 },
	{ "email", GH_SRC_BODY, gh_valid_email, 0 },
	{ "url", GH_SRC_BODY, gh_valid_url, 0 },
	{ "n", GH_SRC_BODY, gh_valid_uint, 0 },
	{ "b", GH_SRC_BODY, gh_valid_bool, 0 },
	{ "tok", GH_SRC_BODY, gh_valid_token, 0 },
	{ "obj", GH_SRC_BODY, gh_valid_object, 0 },
	{ "arr", GH_SRC_BODY, gh_valid_array, 0 },
	{ "txt", GH_SRC_BODY, gh_valid_text, 0 },
	{ "limit", GH_SRC_QUERY, gh_valid_limit, 0 },
	{ "cursor", GH_SRC_QUERY, gh_valid_cursor, 0 },
};

static void
handler(struct gh_req *r)
{
	json_object *o = json_object_new_object();

	if (gh_req_param(r) != NULL)
		json_object_object_add(o, "p", json_object_new_string(gh_req_param(r)));
	gh_reply(r, 200, o);
}

static const struct gh_route routes[] = {
	{ GH_POST, "/f", handler, fields, F__MAX, GH_AUTH_NONE, 0, GH_R_JSON },
	{ GH_GET, "/f/{}", handler, fields + Q_LIMIT, 2, GH_AUTH_NONE, 0, 0 },
};
static const struct gh_app app = { "fuzz", routes, 2, GH_STYLE_API, 0, NULL, NULL, 0 };
static struct gh_proc proc;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char	dir[] = "/tmp/gh-fuzz-XXXXXX";
	char		path[128];
	FILE		*f;

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/gatehouse.conf", dir);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fprintf(f, "log_requests = no\nmax_body = 4096\n");
	fclose(f);
	setenv("GATEHOUSE_CONFIG", path, 1);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fio	 f;
	char		*copy, *uri, *ctype, *body, *q, uenv[4200], qenv[4200],
			 cenv[300], lenv[40];

	if ((copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	uri = copy;
	ctype = strchr(uri, '\n');
	if (ctype != NULL) {
		*ctype++ = '\0';
		body = strchr(ctype, '\n');
		if (body != NULL)
			*body++ = '\0';
		else
			body = ctype + strlen(ctype);
	} else {
		ctype = uri + strlen(uri);
		body = ctype;
	}
	memset(&f, 0, sizeof(f));
	f.io.getenv = f_getenv;
	f.io.read = f_read;
	f.io.write = f_write;
	f.body = body;
	f.len = size - (size_t)(body - copy);
	snprintf(uenv, sizeof(uenv), "REQUEST_URI=%.4000s", uri);
	q = strchr(uri, '?');
	snprintf(qenv, sizeof(qenv), "QUERY_STRING=%.4000s", q ? q + 1 : "");
	snprintf(cenv, sizeof(cenv), "CONTENT_TYPE=%.200s", ctype);
	snprintf(lenv, sizeof(lenv), "CONTENT_LENGTH=%zu", f.len);
	f.env[0] = *ctype ? "REQUEST_METHOD=POST" : "REQUEST_METHOD=GET";
	f.env[1] = uenv;
	f.env[2] = qenv;
	f.env[3] = cenv;
	f.env[4] = lenv;
	gh_handle(&app, &proc, &f.io);
	free(copy);
	return 0;
}
