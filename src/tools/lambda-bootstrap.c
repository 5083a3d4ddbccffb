/*
 * lambda-bootstrap.c: the user pool's triggers (gh_trigger.h) as an AWS
 * Lambda function, the "bootstrap" of a custom runtime (provided.al2023).
 *
 * AWS Cognito invokes the function with its trigger event; Lambda hands the
 * event to this process through the Runtime API on $AWS_LAMBDA_RUNTIME_API:
 *
 *   GET  /2018-06-01/runtime/invocation/next           (long poll: the event,
 *        headers Lambda-Runtime-Aws-Request-Id, -Deadline-Ms, -Trace-Id)
 *   POST /2018-06-01/runtime/invocation/{id}/response  (the event with its
 *        "response" filled, as gh_trigger_run returns it)
 *   POST /2018-06-01/runtime/invocation/{id}/error     ({"errorMessage",
 *        "errorType"}: Cognito refuses the sign-up and shows errorMessage)
 *   POST /2018-06-01/runtime/init/error                (configuration or
 *        store could not be opened; then exit)
 *
 * The same trigger code runs in the embedded pool in-process, so a sign-up
 * through AWS Cognito writes the same User and App-User items.  The
 * configuration is the usual file if $GATEHOUSE_CONFIG names one, else the
 * defaults with the environment overrides of conf.c: in Lambda,
 * GATEHOUSE_STORE=dynamodb, DYNAMODB_TABLE, DYNAMODB_ORDERS_TABLE, and
 * AWS_REGION and the credentials Lambda sets itself.  No file is needed.
 *
 * One invocation at a time (Lambda never sends the next before this one is
 * answered).  Each invocation logs one JSON line on stderr (CloudWatch):
 * request id, triggerSource, outcome, duration, time left before the
 * deadline; never an attribute, e-mail or message from the event.
 * Exit status: 1 when the Runtime API itself fails (Lambda then restarts
 * the environment), which is also how the tests end the loop.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "gh_conf.h"
#include "gh_json.h"
#include "gh_store.h"
#include "gh_trigger.h"

#define API_VERSION	"2018-06-01"
#define EVENT_MAX	(6 * 1024 * 1024)	/* Lambda's synchronous payload limit */
#define REQID_MAX	128
#define POST_TIMEOUT_MS	30000L

/* A growable byte buffer with a hard limit; always NUL-terminated. */
struct buf {
	char	*p;
	size_t	 n;
	size_t	 cap;
	size_t	 max;
	int	 over;		/* a write went past max */
};

/* The headers of an invocation we keep (copied, truncated). */
struct inv_hdrs {
	char	reqid[REQID_MAX + 1];
	char	deadline[32];
	char	trace[256];
};

struct rt {
	CURL		*curl;
	const char	*api;		/* host:port of the Runtime API */
	struct gh_conf	*conf;
	struct gh_store	*store;
};

static size_t
buf_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct buf	*b = arg;
	size_t		 len = size * nmemb, ncap;
	char		*np;

	if (b->n + len > b->max) {
		b->over = 1;
		return 0;	/* aborts the transfer */
	}
	if (b->n + len + 1 > b->cap) {
		ncap = b->cap ? b->cap : 4096;
		while (ncap < b->n + len + 1)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL)
			return 0;
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->n, data, len);
	b->n += len;
	b->p[b->n] = '\0';
	return len;
}

static void
buf_reset(struct buf *b)
{
	b->n = 0;
	b->over = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

/*
 * Copies the value of header "name: value" into dst if line is that header;
 * a value that does not fit leaves dst empty (a cut request id would name
 * another invocation).
 */
static void
hdr_take(const char *line, size_t len, const char *name, char *dst, size_t dstsz)
{
	size_t	nl = strlen(name);

	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return;
	line += nl + 1;
	len -= nl + 1;
	while (len > 0 && (*line == ' ' || *line == '\t'))
		line++, len--;
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n' ||
	    line[len - 1] == ' '))
		len--;
	if (len >= dstsz) {
		dst[0] = '\0';
		return;
	}
	memcpy(dst, line, len);
	dst[len] = '\0';
}

static size_t
hdr_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct inv_hdrs	*h = arg;
	size_t		 len = size * nmemb;

	hdr_take(data, len, "Lambda-Runtime-Aws-Request-Id", h->reqid, sizeof(h->reqid));
	hdr_take(data, len, "Lambda-Runtime-Deadline-Ms", h->deadline, sizeof(h->deadline));
	hdr_take(data, len, "Lambda-Runtime-Trace-Id", h->trace, sizeof(h->trace));
	return len;
}

/* The request id goes into a URL path: 1..REQID_MAX of [A-Za-z0-9-]. */
static int
reqid_ok(const char *id)
{
	size_t i;

	for (i = 0; id[i] != '\0'; i++)
		if (!isalnum((unsigned char)id[i]) && id[i] != '-')
			return 0;
	return i > 0 && i <= REQID_MAX;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * One request to the Runtime API: GET when body is NULL, else POST of body
 * as JSON.  resp and hdrs may be NULL.  Returns the HTTP status, or -1 when
 * the transfer failed (message on stderr).
 */
static long
rt_call(struct rt *rt, const char *path, const char *body, struct buf *resp,
    struct inv_hdrs *hdrs)
{
	struct curl_slist	*h = NULL, *nh;
	struct buf		 sink = { NULL, 0, 0, 64 * 1024, 0 };
	char			 url[512];
	long			 status = -1;
	CURLcode		 rc;

	if (snprintf(url, sizeof(url), "http://%s/" API_VERSION "%s", rt->api,
	    path) >= (int)sizeof(url)) {
		fprintf(stderr, "lambda-bootstrap: runtime API URL too long\n");
		return -1;
	}
	curl_easy_reset(rt->curl);
	curl_easy_setopt(rt->curl, CURLOPT_URL, url);
	curl_easy_setopt(rt->curl, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(rt->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(rt->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(rt->curl, CURLOPT_WRITEFUNCTION, buf_write);
	curl_easy_setopt(rt->curl, CURLOPT_WRITEDATA, resp != NULL ? resp : &sink);
	if (hdrs != NULL) {
		curl_easy_setopt(rt->curl, CURLOPT_HEADERFUNCTION, hdr_write);
		curl_easy_setopt(rt->curl, CURLOPT_HEADERDATA, hdrs);
	}
	if (body != NULL) {
		if ((nh = curl_slist_append(h, "Content-Type: application/json")) == NULL)
			goto out;
		h = nh;
		if ((nh = curl_slist_append(h, "Expect:")) == NULL)
			goto out;
		h = nh;
		curl_easy_setopt(rt->curl, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(rt->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(rt->curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)strlen(body));
		curl_easy_setopt(rt->curl, CURLOPT_TIMEOUT_MS, POST_TIMEOUT_MS);
	} else
		curl_easy_setopt(rt->curl, CURLOPT_TIMEOUT_MS, 0L);	/* long poll */
	if ((rc = curl_easy_perform(rt->curl)) != CURLE_OK) {
		fprintf(stderr, "lambda-bootstrap: %s %s: %s%s\n",
		    body ? "POST" : "GET", path, curl_easy_strerror(rc),
		    resp != NULL && resp->over ? " (event too large)" : "");
		goto out;
	}
	curl_easy_getinfo(rt->curl, CURLINFO_RESPONSE_CODE, &status);
out:
	curl_slist_free_all(h);
	free(sink.p);
	return status;
}

/* Posts {"errorMessage","errorType"} to path; returns 1 if accepted. */
static int
rt_post_error(struct rt *rt, const char *path, const char *type, const char *msg)
{
	json_object	*o = NULL;
	const char	*s;
	long		 st;
	int		 ok = 0;

	if ((o = json_object_new_object()) == NULL ||
	    gh_json_add_str(o, "errorMessage", msg) != GH_OK ||
	    gh_json_add_str(o, "errorType", type) != GH_OK ||
	    (s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)) == NULL)
		goto out;
	st = rt_call(rt, path, s, NULL, NULL);
	ok = st >= 200 && st < 300;
	if (!ok)
		fprintf(stderr, "lambda-bootstrap: POST %s: status %ld\n", path, st);
out:
	json_object_put(o);
	return ok;
}

/* The errorType reported for a trigger's failure (logged, shown by AWS). */
static const char *
err_type(enum gh_err err)
{
	switch (err) {
	case GH_ERR_DENIED:
		return "TriggerDenied";
	case GH_ERR_INVAL:
		return "InvalidEvent";
	case GH_ERR_STORE:
	case GH_ERR_THROTTLED:
		return "StoreUnavailable";
	case GH_ERR_NOMEM:
		return "OutOfMemory";
	default:
		return "InternalError";
	}
}

/* triggerSource for the log line, only if it is a plain word. */
static const char *
trigger_name(json_object *event)
{
	const char	*s = event ? gh_json_str(event, "triggerSource") : NULL;
	size_t		 i;

	if (s == NULL)
		return "";
	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return "?";
	return i <= 64 ? s : "?";
}

/*
 * Handles one event: runs the trigger and posts the response or the error.
 * Returns 0 if the Runtime API refused or failed the post (fatal).
 */
static int
invoke(struct rt *rt, const struct inv_hdrs *h, const char *data, size_t len)
{
	json_object	*event = NULL, *out = NULL;
	const char	*why = NULL, *type = NULL, *s = NULL;
	char		 msg[256], path[REQID_MAX + 64];
	int64_t		 t0 = mono_ms(), deadline = -1, left = -1;
	enum gh_err	 err;
	long		 st;
	int		 ok = 0;

	msg[0] = '\0';
	if (h->deadline[0] != '\0') {
		char *end;
		deadline = strtoll(h->deadline, &end, 10);
		if (*end != '\0' || deadline <= 0)
			deadline = -1;
	}
	if (deadline > 0 && deadline <= now_ms()) {
		type = "DeadlineExceeded";
		snprintf(msg, sizeof(msg), "the invocation's deadline passed before it started");
	} else if (gh_json_parse(data, len,
	    (int)gh_conf_int(rt->conf, GH_CONF_JSON_MAX_DEPTH), &event, &why) != GH_OK ||
	    !json_object_is_type(event, json_type_object)) {
		type = "InvalidEvent";
		snprintf(msg, sizeof(msg), "the event is not a JSON object%s%s",
		    why ? ": " : "", why ? why : "");
	} else if ((err = gh_trigger_run(rt->conf, rt->store, event, &out, msg,
	    sizeof(msg))) != GH_OK) {
		type = err_type(err);
		if (msg[0] == '\0')
			snprintf(msg, sizeof(msg), "%s", gh_strerror(err));
	} else if ((s = json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN)) == NULL) {
		type = "OutOfMemory";
		snprintf(msg, sizeof(msg), "%s", gh_strerror(GH_ERR_NOMEM));
	}
	if (type == NULL) {
		snprintf(path, sizeof(path), "/runtime/invocation/%s/response", h->reqid);
		st = rt_call(rt, path, s, NULL, NULL);
		ok = st >= 200 && st < 300;
		if (!ok)
			fprintf(stderr, "lambda-bootstrap: POST %s: status %ld\n", path, st);
		/* 413: the response is over Lambda's limit; report it as the error. */
		if (st == 413) {
			type = "ResponseTooLarge";
			snprintf(msg, sizeof(msg), "the trigger's response is too large");
		}
	}
	if (type != NULL) {
		snprintf(path, sizeof(path), "/runtime/invocation/%s/error", h->reqid);
		ok = rt_post_error(rt, path, type, msg);
	}
	if (deadline > 0)
		left = deadline - now_ms();
	fprintf(stderr, "{\"lambda\":\"invocation\",\"request_id\":\"%s\","
	    "\"trigger\":\"%s\",\"outcome\":\"%s\",\"ms\":%lld,\"remaining_ms\":%lld}\n",
	    h->reqid, trigger_name(event), type ? type : "ok",
	    (long long)(mono_ms() - t0), (long long)left);
	json_object_put(out);
	json_object_put(event);
	return ok;
}

/* Loads the configuration and opens the store; on failure msg says why. */
static enum gh_err
rt_init(struct rt *rt, char *msg, size_t msgsz)
{
	const char	*why = NULL;
	enum gh_err	 err;

	if ((err = gh_conf_load(NULL, 1, &rt->conf, &why)) != GH_OK) {
		snprintf(msg, msgsz, "configuration: %s", why);
		return err;
	}
	if ((err = gh_store_open(rt->conf, &rt->store)) != GH_OK) {
		snprintf(msg, msgsz, "store (%s): %s", gh_conf_str(rt->conf, GH_CONF_STORE),
		    gh_store_errmsg(NULL)[0] ? gh_store_errmsg(NULL) : gh_strerror(err));
		return err;
	}
	return GH_OK;
}

int
main(void)
{
	struct rt	 rt;
	struct buf	 ev = { NULL, 0, 0, EVENT_MAX, 0 };
	struct inv_hdrs	 h;
	char		 msg[512];
	long		 st;
	int		 rc = 1;

	memset(&rt, 0, sizeof(rt));
	if ((rt.api = getenv("AWS_LAMBDA_RUNTIME_API")) == NULL || *rt.api == '\0' ||
	    strcspn(rt.api, "/?#@ \r\n") != strlen(rt.api)) {
		fprintf(stderr, "lambda-bootstrap: AWS_LAMBDA_RUNTIME_API is not a host:port\n");
		return 1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (rt.curl = curl_easy_init()) == NULL) {
		fprintf(stderr, "lambda-bootstrap: cannot initialise libcurl\n");
		goto out;
	}
	if (rt_init(&rt, msg, sizeof(msg)) != GH_OK) {
		fprintf(stderr, "lambda-bootstrap: %s\n", msg);
		rt_post_error(&rt, "/runtime/init/error", "InitError", msg);
		goto out;
	}
	for (;;) {
		memset(&h, 0, sizeof(h));
		buf_reset(&ev);
		st = rt_call(&rt, "/runtime/invocation/next", NULL, &ev, &h);
		if (st != 200) {
			fprintf(stderr, "lambda-bootstrap: GET next: status %ld, exiting\n", st);
			goto out;
		}
		if (!reqid_ok(h.reqid)) {
			/* Nothing to answer to: the Runtime API misbehaves. */
			fprintf(stderr, "lambda-bootstrap: invocation without a valid "
			    "Lambda-Runtime-Aws-Request-Id, exiting\n");
			goto out;
		}
		if (h.trace[0] != '\0')
			setenv("_X_AMZN_TRACE_ID", h.trace, 1);
		else
			unsetenv("_X_AMZN_TRACE_ID");
		if (!invoke(&rt, &h, ev.p ? ev.p : "", ev.n))
			goto out;
	}
out:
	free(ev.p);
	gh_store_free(rt.store);
	gh_conf_free(rt.conf);
	if (rt.curl != NULL)
		curl_easy_cleanup(rt.curl);
	curl_global_cleanup();
	return rc;
}
