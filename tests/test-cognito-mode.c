/*
 * test-cognito-mode.c: with idp = cognito the embedded pool's programs
 * (struct gh_app.embedded_pool) answer every request 404 with a clear JSON
 * error, in their own error style, without running their init; other
 * programs and the embedded mode are unaffected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gh_conf.h"
#include "gh_http.h"
#include "gh_http_impl.h"
#include "mem-io.h"
#include "tests.h"

static int init_calls;

static enum gh_err
count_init(const struct gh_conf *c)
{
	init_calls++;
	return GH_OK;
}

static void
ok_handler(struct gh_req *r)
{
	gh_reply(r, 200, json_object_new_object());
}

static const struct gh_route routes[] = {
	{ .method = GH_GET, .path = "/idp/{}", .handler = ok_handler },
	{ .method = GH_POST, .path = "/idp", .handler = ok_handler },
};

static int
run(const struct gh_app *a, struct gh_proc *p, struct mem_io *m, const char *method,
    const char *uri)
{
	const char	*env[] = { NULL, NULL, NULL };
	char		 e1[64], e2[256];
	int		 status = 0;

	snprintf(e1, sizeof(e1), "REQUEST_METHOD=%s", method);
	snprintf(e2, sizeof(e2), "REQUEST_URI=%s", uri);
	env[0] = e1;
	env[1] = e2;
	mem_io_init(m, env, NULL);
	gh_handle(a, p, &m->io);
	sscanf(m->out, "Status: %d", &status);
	return status;
}

static int
has(const struct mem_io *m, const char *s)
{
	return strstr(m->out, s) != NULL;
}

static void
write_conf(const char *path, const char *idp)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		exit(1);
	fprintf(f, "log_requests = no\nidp = %s\ncognito_region = eu-west-1\n"
	    "cognito_user_pool_id = eu-west-1_Abc\ncognito_client_id = abc\n", idp);
	fclose(f);
}

int
main(void)
{
	static const struct gh_app pool = { .name = "idp", .routes = routes,
	    .nroutes = 2, .style = GH_STYLE_COGNITO,
	    .content_type = "application/x-amz-json-1.1", .init = count_init,
	    .embedded_pool = 1 };
	static const struct gh_app wk = { .name = "idp-wellknown", .routes = routes,
	    .nroutes = 1, .init = count_init, .embedded_pool = 1 };
	static const struct gh_app other = { .name = "other", .routes = routes,
	    .nroutes = 1, .init = count_init };
	struct gh_proc	 p1, p2, p3, p4;
	struct mem_io	 m;
	char		 dir[] = "/tmp/gh-test-cognito-XXXXXX", cog[256], emb[256];

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(cog, sizeof(cog), "%s/cognito.conf", dir);
	snprintf(emb, sizeof(emb), "%s/embedded.conf", dir);
	write_conf(cog, "cognito");
	write_conf(emb, "embedded");
	unsetenv("GATEHOUSE_IDP");

	setenv("GATEHOUSE_CONFIG", cog, 1);
	memset(&p1, 0, sizeof(p1));
	T(run(&wk, &p1, &m, "GET", "/idp/eu-west-1_Abc") == 404 &&
	    has(&m, "\"error\":\"not_found\"") && has(&m, "embedded user pool is off"),
	    "cognito mode: a pool program answers 404 {error, message} saying the pool is off");
	T(run(&wk, &p1, &m, "GET", "/nowhere") == 404 && has(&m, "pool is off"),
	    "cognito mode: any path of a pool program, the same 404");
	memset(&p2, 0, sizeof(p2));
	T(run(&pool, &p2, &m, "POST", "/idp") == 404 &&
	    has(&m, "\"__type\":\"ResourceNotFoundException\"") &&
	    has(&m, "x-amzn-ErrorType: ResourceNotFoundException") && has(&m, "pool is off"),
	    "cognito mode: the Cognito-style pool program answers in Cognito's shape");
	T(init_calls == 0, "cognito mode: the pool programs' init is not run (%d)", init_calls);
	memset(&p3, 0, sizeof(p3));
	T(run(&other, &p3, &m, "GET", "/idp/x") == 200 && init_calls == 1,
	    "cognito mode: other programs are served as usual");

	setenv("GATEHOUSE_CONFIG", emb, 1);
	memset(&p4, 0, sizeof(p4));
	T(run(&wk, &p4, &m, "GET", "/idp/x") == 200 && init_calls == 2,
	    "embedded mode: the pool programs are served");
	gh_conf_free(p4.conf);
	memset(&p4, 0, sizeof(p4));
	setenv("GATEHOUSE_IDP", "cognito", 1);
	T(run(&wk, &p4, &m, "GET", "/idp/x") == 404 && has(&m, "pool is off"),
	    "GATEHOUSE_IDP=cognito turns the pool off over an embedded file");

	gh_conf_free(p1.conf);
	gh_conf_free(p2.conf);
	gh_conf_free(p3.conf);
	gh_conf_free(p4.conf);
	unlink(cog);
	unlink(emb);
	rmdir(dir);
	return tests_done();
}
