/*
 * http.c: the request cycle every FastCGI program shares (see gh_http.h).
 *
 * gh_main() runs libfcgi's accept loop and hands each request to
 * gh_handle(), which works on an abstract gh_io (CGI-style variables, a
 * body reader, an output writer) so that unit tests can drive it without a
 * web server.  Per-process state (configuration, store) is made once, on the
 * first request, and kept; a configuration that fails to load is logged and
 * every request gets 503 until the program is restarted.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "gh_auth.h"
#include "gh_conf.h"
#include "gh_crypto.h"
#include "gh_http.h"
#include "gh_http_impl.h"
#include "gh_json.h"
#include "gh_store.h"

const char *const gh_method_names[GH_METHOD__MAX] = {
	"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD",
};

const char *const gh_role_names[GH_ROLE__MAX] = {
	"customer", "partner", "admin",
};

#define MAX_QUERY	4096	/* bytes of a query string */
#define MAX_PATH	2048	/* bytes of a request path */
#define MAX_HEADERS	16	/* response headers a handler may add */

struct gh_req {
	const struct gh_app	*app;
	const struct gh_route	*route;
	struct gh_io		*io;
	struct gh_proc		*proc;
	enum gh_method		 method;
	char			*path;		/* without query */
	char			*param;		/* "{}" segment, decoded */
	json_object		*query;		/* name -> string */
	json_object		*body;
	struct gh_value		*vals;		/* route fields */
	struct gh_value		*extra;		/* gh_req_fields() results */
	size_t			 nextra;
	json_object		*claims;
	json_object		*user;		/* parsed from user_text on demand */
	char			*user_text;	/* the stored user item (authorize) */
	size_t			 user_len;
	int64_t			 user_version;
	enum gh_role		 role;
	char			 rid[40];
	char			*hdrs[MAX_HEADERS];
	size_t			 nhdrs;
	json_object		*notes;		/* log line extras */
	int			 status;
	int			 replied;
};

/* Per-process state, made on the first request. */
static struct gh_proc proc_state;

/* --- small helpers ----------------------------------------------------- */

const char *
gh_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

static const char *
io_env(struct gh_req *r, const char *name)
{
	const char *v = r->io->getenv(r->io, name);

	return v;
}

/*
 * Percent-decodes s[0..n) (and '+' as space if plus) into a new string.
 * Returns NULL on a bad escape, an encoded NUL or allocation failure.
 */
static char *
pct_decode(const char *s, size_t n, int plus)
{
	char	*out, *o;
	size_t	 i;
	int	 hi, lo;

	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0, o = out; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n) {
				free(out);
				return NULL;
			}
			if ((hi = gh_hex_digit((unsigned char)s[i + 1])) < 0 ||
			    (lo = gh_hex_digit((unsigned char)s[i + 2])) < 0 ||
			    (hi == 0 && lo == 0)) {
				free(out);
				return NULL;
			}
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '+' && plus)
			*o++ = ' ';
		else
			*o++ = s[i];
	}
	*o = '\0';
	return out;
}

/* Parses a query string into an object; 0 on malformed or duplicate names. */
static int
parse_query(const char *qs, json_object **out)
{
	json_object	*obj;
	const char	*p = qs, *amp, *eq;
	char		*k = NULL, *v = NULL;
	int		 ok = 0;

	if ((obj = json_object_new_object()) == NULL)
		return 0;
	while (*p != '\0') {
		amp = p + strcspn(p, "&");
		if (amp == p) {
			p++;
			continue;
		}
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq == NULL)
			eq = amp;
		k = pct_decode(p, (size_t)(eq - p), 1);
		v = eq < amp ? pct_decode(eq + 1, (size_t)(amp - eq - 1), 1) : strdup("");
		if (k == NULL || v == NULL || *k == '\0' ||
		    !gh_utf8_valid(k, strlen(k)) || !gh_utf8_valid(v, strlen(v)) ||
		    json_object_object_get_ex(obj, k, NULL))
			goto out;
		if (json_object_object_add(obj, k, json_object_new_string(v)) != 0)
			goto out;
		free(k);
		free(v);
		k = v = NULL;
		p = *amp ? amp + 1 : amp;
	}
	ok = 1;
	*out = obj;
	obj = NULL;
out:
	free(k);
	free(v);
	json_object_put(obj);
	return ok;
}

/* --- replies ------------------------------------------------------------ */

void
gh_header(struct gh_req *r, const char *name, const char *value)
{
	char *h;

	if (r->nhdrs >= MAX_HEADERS || strpbrk(name, "\r\n:") != NULL ||
	    strpbrk(value, "\r\n") != NULL)
		return;
	if (asprintf(&h, "%s: %s", name, value) < 0)
		return;
	r->hdrs[r->nhdrs++] = h;
}

static void
cors_headers(struct gh_req *r)
{
	const char *origin, *allowed;
	size_t	    n;

	if (!r->app->cors || (origin = io_env(r, "HTTP_ORIGIN")) == NULL ||
	    r->proc->conf == NULL)
		return;
	allowed = gh_conf_str(r->proc->conf, GH_CONF_CORS_ORIGINS);
	n = strlen(origin);
	while (*allowed != '\0') {
		size_t len = strcspn(allowed, " ");
		if (len == n && strncmp(allowed, origin, n) == 0) {
			gh_header(r, "Access-Control-Allow-Origin", origin);
			gh_header(r, "Vary", "Origin");
			return;
		}
		allowed += len;
		while (*allowed == ' ')
			allowed++;
	}
}

/* gh_reply_raw's head and the log line: append n bytes / a decimal
 * number at p (no NUL); return the new end. */
static char *
head_put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

#define HEAD_LIT(p, lit)	head_put((p), (lit), sizeof(lit) - 1)

static char *
head_num(char *p, uint64_t v)
{
	char	 d[24];
	size_t	 n = 0;

	do
		d[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n > 0)
		*p++ = d[--n];
	return p;
}

/*
 * Appends h and CRLF to the head being built in buf (p its end), writing
 * out what is there first when h does not fit; a line longer than buf goes
 * out by itself.  At least 256 bytes are free in buf on return.
 */
static char *
head_line(struct gh_io *io, char *buf, size_t size, char *p, const char *h)
{
	size_t	 hl = strlen(h);

	if ((size_t)(buf + size - p) < hl + 2 + 256) {
		io->write(io, buf, (size_t)(p - buf));
		p = buf;
	}
	if (hl + 2 + 256 > size) {
		io->write(io, h, hl);
		return head_put(p, "\r\n", 2);
	}
	p = head_put(p, h, hl);
	return head_put(p, "\r\n", 2);
}

void
gh_reply_raw(struct gh_req *r, int status, const char *ctype,
    const char *body, size_t len)
{
	struct gh_io	*io = r->io;
	char		 line[1024], *p;
	size_t		 i;

	if (r->replied) {
		/* A second reply is a bug in the handler: log it, keep the first. */
		fprintf(stderr, "{\"level\":\"bug\",\"rid\":\"%s\",\"msg\":\"second reply\"}\n",
		    r->rid);
		return;
	}
	r->replied = 1;
	r->status = status;
	cors_headers(r);
	/* The head in one buffer, one write (no printf: this is every reply). */
	p = line;
	p = HEAD_LIT(p, "Status: ");
	p = head_num(p, (size_t)status);
	*p++ = ' ';
	p = head_put(p, gh_status_text(status), strlen(gh_status_text(status)));
	p = HEAD_LIT(p, "\r\n");
	if (ctype != NULL) {
		p = HEAD_LIT(p, "Content-Type: ");
		p = head_line(io, line, sizeof(line), p, ctype);
	}
	p = HEAD_LIT(p, "Content-Length: ");
	p = head_num(p, r->method == GH_HEAD ? 0 : len);
	p = HEAD_LIT(p, "\r\nCache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\nX-Request-Id: ");
	p = head_put(p, r->rid, strlen(r->rid));
	p = HEAD_LIT(p, "\r\n");
	for (i = 0; i < r->nhdrs; i++)
		p = head_line(io, line, sizeof(line), p, r->hdrs[i]);
	p = HEAD_LIT(p, "\r\n");
	io->write(io, line, (size_t)(p - line));
	if (len > 0 && r->method != GH_HEAD)
		io->write(io, body, len);
}

void
gh_reply(struct gh_req *r, int status, json_object *body)
{
	const char	*s;
	size_t		 len;
	const char	*ctype = r->app->style == GH_STYLE_COGNITO ?
	    "application/x-amz-json-1.1" : "application/json";

	if (body == NULL) {
		gh_reply_raw(r, status, NULL, NULL, 0);
		return;
	}
	s = json_object_to_json_string_length(body,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL)
		gh_reply_raw(r, 500, "application/json",
		    "{\"error\":\"internal\",\"message\":\"out of memory\"}", 47);
	else
		gh_reply_raw(r, status, ctype, s, len);
	json_object_put(body);
}

/*
 * The library's own error codes and their names in Cognito's protocol, so a
 * Cognito-style program (the user pool) answers library-level failures in
 * the shape AWS's clients parse.
 */
static const struct {
	const char *code;
	const char *cognito;
} cognito_names[] = {
	{ "invalid_json", "SerializationException" },
	{ "invalid_field", "InvalidParameterException" },
	{ "missing_field", "InvalidParameterException" },
	{ "unknown_field", "InvalidParameterException" },
	{ "unsupported_media_type", "SerializationException" },
	{ "body_too_large", "InvalidParameterException" },
	{ "method_not_allowed", "InvalidAction" },
	{ "not_found", "ResourceNotFoundException" },
	{ "store_unavailable", "InternalErrorException" },
	{ "internal", "InternalErrorException" },
	{ "unavailable", "InternalErrorException" },
	{ "bad_length", "SerializationException" },
	{ "bad_body", "SerializationException" },
	{ "invalid_query", "InvalidParameterException" },
	{ "uri_too_long", "InvalidParameterException" },
	{ "unauthorized", "NotAuthorizedException" },
	{ "forbidden", "NotAuthorizedException" },
};

void
gh_reply_err(struct gh_req *r, int status, const char *code, const char *fmt, ...)
{
	json_object	*o;
	char		 msg[512];
	va_list		 ap;
	size_t		 i;
	const char	*type = code;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if ((o = json_object_new_object()) == NULL) {
		gh_reply_raw(r, 500, "application/json",
		    "{\"error\":\"internal\",\"message\":\"out of memory\"}", 47);
		return;
	}
	if (r->app->style == GH_STYLE_COGNITO) {
		for (i = 0; i < sizeof(cognito_names) / sizeof(cognito_names[0]); i++)
			if (strcmp(cognito_names[i].code, code) == 0)
				type = cognito_names[i].cognito;
		json_object_object_add(o, "__type", json_object_new_string(type));
		json_object_object_add(o, "message", json_object_new_string(msg));
		gh_header(r, "x-amzn-ErrorType", type);
		gh_header(r, "x-amzn-ErrorMessage", msg);
	} else {
		json_object_object_add(o, "error", json_object_new_string(code));
		json_object_object_add(o, "message", json_object_new_string(msg));
	}
	gh_log_note(r, "error", type);
	gh_reply(r, status, o);
}

void
gh_reply_fail(struct gh_req *r, enum gh_err err, const char *what)
{
	fprintf(stderr, "{\"level\":\"error\",\"rid\":\"%s\",\"app\":\"%s\","
	    "\"what\":\"%s\",\"err\":\"%s\"%s%s%s}\n", r->rid, r->app->name,
	    what, gh_strerror(err),
	    r->proc->store ? ",\"store\":\"" : "",
	    r->proc->store ? gh_json_escape_static(gh_store_errmsg(r->proc->store)) : "",
	    r->proc->store ? "\"" : "");
	if (err == GH_ERR_STORE || err == GH_ERR_THROTTLED)
		gh_reply_err(r, 503, "store_unavailable",
		    "The store is unavailable; try again shortly.");
	else
		gh_reply_err(r, 500, "internal", "Internal error.");
}

void
gh_log_note(struct gh_req *r, const char *key, const char *value)
{
	if (r->notes == NULL && (r->notes = json_object_new_object()) == NULL)
		return;
	json_object_object_add(r->notes, key, json_object_new_string(value));
}

/* --- accessors -------------------------------------------------------- */

const struct gh_conf *gh_req_conf(const struct gh_req *r) { return r->proc->conf; }
enum gh_method gh_req_method(const struct gh_req *r) { return r->method; }
const char *gh_req_path(const struct gh_req *r) { return r->path; }
const char *gh_req_param(const struct gh_req *r) { return r->param; }
const char *gh_req_id(const struct gh_req *r) { return r->rid; }
json_object *gh_req_body(const struct gh_req *r) { return r->body; }
json_object *gh_req_claims(const struct gh_req *r) { return r->claims; }
enum gh_role gh_req_role(const struct gh_req *r) { return r->role; }

/*
 * The stored user item authorize read as text, parsed on first use (most
 * routes never look at it) with its version, as gh_store_get gives it.
 */
static json_object *
user_parse(struct gh_req *r)
{
	json_tokener	*tok;
	json_object	*u, *v;

	if (r->user != NULL || r->user_text == NULL)
		return r->user;
	if ((tok = json_tokener_new()) == NULL)
		return NULL;
	u = json_tokener_parse_ex(tok, r->user_text, (int)r->user_len);
	if (u == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(u, json_type_object) ||
	    (v = json_object_new_int64(r->user_version)) == NULL) {
		json_object_put(u);
		u = NULL;
	} else if (json_object_object_add(u, "version", v) != 0) {
		json_object_put(v);
		json_object_put(u);
		u = NULL;
	}
	json_tokener_free(tok);
	r->user = u;
	return u;
}

json_object *
gh_req_user(const struct gh_req *r)
{
	/* The request is the library's own: parsing on demand is no change a
	 * caller can see. */
	return user_parse((struct gh_req *)r);
}

const char *
gh_req_remote_addr(const struct gh_req *r)
{
	const char *a = r->io->getenv(r->io, "REMOTE_ADDR");

	return a != NULL ? a : "";
}

const char *
gh_req_header(const struct gh_req *r, const char *name)
{
	char	buf[128];
	size_t	n = strlen(name);

	if (n >= sizeof(buf) - 5)
		return NULL;
	memcpy(buf, "HTTP_", 5);
	memcpy(buf + 5, name, n + 1);
	return r->io->getenv(r->io, buf);
}

const char *
gh_req_sub(const struct gh_req *r)
{
	json_object *s;

	if (r->claims == NULL || !json_object_object_get_ex(r->claims, "sub", &s))
		return NULL;
	return json_object_get_string(s);
}

struct gh_store *
gh_req_store(struct gh_req *r)
{
	enum gh_err err;

	if (r->proc->store == NULL && r->proc->conf != NULL) {
		err = gh_store_open(r->proc->conf, &r->proc->store);
		if (err != GH_OK) {
			fprintf(stderr, "{\"level\":\"error\",\"app\":\"%s\",\"what\":"
			    "\"store open\",\"err\":\"%s\",\"detail\":\"%s\"}\n",
			    r->app->name, gh_strerror(err),
			    gh_json_escape_static(gh_store_errmsg(NULL)));
			r->proc->store = NULL;
		}
	}
	return r->proc->store;
}

const struct gh_value *
gh_req_field(const struct gh_req *r, size_t i)
{
	static const struct gh_value absent;

	if (r->route == NULL || i >= r->route->nfields || r->vals == NULL)
		return &absent;
	return &r->vals[i];
}

/* --- inputs --------------------------------------------------------------- */

/* Frees what validation attached to v[0..n), not the array itself. */
static void
values_clear(struct gh_value *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].buf);
		v[i].buf = NULL;
		if (v[i].json != NULL && v[i].present == 2)
			json_object_put(v[i].json);	/* a query value's reference */
		v[i].json = NULL;
		v[i].present = 0;
	}
}

static void
append(char *buf, size_t size, const char *s)
{
	size_t n = strlen(buf);

	snprintf(buf + n, size - n, "%s", s);
}

static int
fields_check(struct gh_req *r, const struct gh_field *fields, size_t n,
    struct gh_value *vals, int lenient)
{
	json_object	*src;
	size_t		 i;

	/* Undeclared body members are refused unless the route is lenient. */
	if (!lenient && r->body != NULL) {
		json_object_object_foreach(r->body, key, unused) {
			(void)unused;
			for (i = 0; i < n; i++)
				if (fields[i].src == GH_SRC_BODY &&
				    strcmp(fields[i].name, key) == 0)
					break;
			if (i == n) {
				gh_reply_err(r, 400, "unknown_field",
				    "Field \"%.64s\" is not accepted here.", key);
				return 0;
			}
		}
	}
	for (i = 0; i < n; i++) {
		memset(&vals[i], 0, sizeof(vals[i]));
		src = fields[i].src == GH_SRC_BODY ? r->body : r->query;
		if (src != NULL &&
		    json_object_object_get_ex(src, fields[i].name, &vals[i].json) &&
		    !json_object_is_type(vals[i].json, json_type_null)) {
			vals[i].present = 1;
			if (fields[i].src == GH_SRC_QUERY) {
				json_object_get(vals[i].json);
				vals[i].present = 2;
			}
		} else
			vals[i].json = NULL;
		if (!vals[i].present) {
			if (fields[i].required) {
				gh_reply_err(r, 400, "missing_field",
				    "Field \"%s\" is required.", fields[i].name);
				return 0;
			}
			continue;
		}
		if (json_object_is_type(vals[i].json, json_type_string)) {
			vals[i].str = json_object_get_string(vals[i].json);
			vals[i].len = (size_t)json_object_get_string_len(vals[i].json);
		}
		if (fields[i].valid != NULL && !fields[i].valid(&vals[i])) {
			gh_reply_err(r, 400, "invalid_field",
			    "Field \"%s\" is not valid.", fields[i].name);
			return 0;
		}
		/* Keep "present" as 1 or 2 (query copies are released later). */
	}
	return 1;
}

int
gh_req_fields(struct gh_req *r, const struct gh_field *fields, size_t n,
    struct gh_value *vals, int lenient)
{
	/* The values are released with the request (one run-time set). */
	values_clear(r->extra, r->nextra);
	memset(vals, 0, n * sizeof(*vals));
	r->extra = vals;
	r->nextra = n;
	return fields_check(r, fields, n, vals, lenient);
}

/*
 * Matches path against a route pattern: exact, or with one "{}" standing
 * for one non-empty segment ("/api/orders/{}", "/idp/{}/.well-known/x").
 * On a match with a segment, *seg and *seglen point into path.
 */
static int
path_match(const char *pattern, const char *path, const char **seg, size_t *seglen)
{
	const char	*brace = strstr(pattern, "/{}");
	size_t		 plen, n;

	*seg = NULL;
	*seglen = 0;
	if (brace != NULL && (brace[3] == '\0' || brace[3] == '/')) {
		plen = (size_t)(brace - pattern) + 1;	/* keep the '/' */
		if (strncmp(pattern, path, plen) != 0)
			return 0;
		path += plen;
		n = strcspn(path, "/");
		if (n == 0 || strcmp(path + n, brace + 3) != 0)
			return 0;
		*seg = path;
		*seglen = n;
		return 1;
	}
	return strcmp(pattern, path) == 0;
}

static int
parse_method(const char *m, enum gh_method *out)
{
	int i;

	if (m == NULL)
		return 0;
	for (i = 0; i < GH_METHOD__MAX; i++)
		if (strcmp(gh_method_names[i], m) == 0) {
			*out = i;
			return 1;
		}
	return 0;
}

/* The media type of a Content-Type value, without parameters, compared
 * case-insensitively. */
static int
ctype_is(const char *ctype, const char *want)
{
	size_t n = strlen(want);

	if (ctype == NULL || strncasecmp(ctype, want, n) != 0)
		return 0;
	ctype += n;
	while (*ctype == ' ')
		ctype++;
	return *ctype == '\0' || *ctype == ';';
}

/* Reads exactly len bytes of body; 0 if the stream ends early. */
static int
read_body(struct gh_io *io, char *buf, size_t len)
{
	size_t got = 0;
	long   n;

	while (got < len) {
		n = io->read(io, buf + got, len - got);
		if (n <= 0)
			return 0;
		got += (size_t)n;
	}
	return 1;
}

/*
 * Random bytes for request ids, drawn 512 at a time: one getrandom(2) per 64
 * requests instead of one each.  Request ids only tell log lines apart (no
 * secret rests on them), but a forked child must not repeat its parent's
 * ids, so a fork empties the pool.
 */
static unsigned char	rid_pool[512];
static size_t		rid_left;

static void
rid_pool_forget(void)
{
	rid_left = 0;
}

static void
rid_random(unsigned char b[8])
{
	static int	 hooked;

	if (!hooked) {
		hooked = 1;
		(void)pthread_atfork(NULL, NULL, rid_pool_forget);
	}
	if (rid_left < 8) {
		if (getrandom(rid_pool, sizeof(rid_pool), 0) !=
		    (ssize_t)sizeof(rid_pool)) {
			rid_left = 0;
			if (getrandom(b, 8, 0) != 8)
				memset(b, 0, 8);
			return;
		}
		rid_left = sizeof(rid_pool);
	}
	rid_left -= 8;
	memcpy(b, rid_pool + rid_left, 8);
	memset(rid_pool + rid_left, 0, 8);
}

static void
make_rid(struct gh_req *r)
{
	const char	*h = io_env(r, "HTTP_X_REQUEST_ID");
	unsigned char	 b[8];
	size_t		 i;

	if (h != NULL && strlen(h) > 0 && strlen(h) < 37 &&
	    strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") ==
	    strlen(h)) {
		snprintf(r->rid, sizeof(r->rid), "%s", h);
		return;
	}
	rid_random(b);
	for (i = 0; i < sizeof(b); i++) {
		r->rid[2 * i] = "0123456789abcdef"[b[i] >> 4];
		r->rid[2 * i + 1] = "0123456789abcdef"[b[i] & 15];
	}
	r->rid[2 * sizeof(b)] = '\0';
}

/*
 * 1 if the caller's token was issued before the User item's
 * "tokens_valid_after" (Unix seconds; the pool sets it at GlobalSignOut and
 * at every password change or reset): its sign-in has ended.  Tokens carry
 * whole seconds, so one issued in the very second of the sign-out is let
 * through: that is the new sign-in right after a password reset, which must
 * work; a token of the ended sign-in from that same second is the price.
 * The item is parsed only when its text names the attribute (most never
 * do).
 */
static int
signed_out(struct gh_req *r)
{
	static const char	 key[] = "\"tokens_valid_after\"";
	json_object		*u, *iat;
	int64_t			 after;

	if (r->user_text != NULL && r->user == NULL &&
	    memmem(r->user_text, r->user_len, key, sizeof(key) - 1) == NULL)
		return 0;
	if ((u = user_parse(r)) == NULL || !gh_json_int(u, "tokens_valid_after", &after))
		return 0;
	if (r->claims == NULL || !json_object_object_get_ex(r->claims, "iat", &iat) ||
	    !json_object_is_type(iat, json_type_int))
		return 1;	/* the verifier requires iat: cannot happen */
	return json_object_get_int64(iat) < after;
}

/* Loads the caller's stored user item and checks status and role. */
static int
authorize(struct gh_req *r)
{
	struct gh_store	*s = gh_req_store(r);
	const char	*sub = gh_req_sub(r), *role = NULL, *status = NULL;
	static const char *const names[2] = { "status", "role" };
	char		 pk[160], sbuf[64], rbuf[64];
	char *const	 bufs[2] = { sbuf, rbuf };
	json_object	*v;
	enum gh_err	 err;
	int		 i, found[2];

	if (s == NULL) {
		gh_reply_err(r, 503, "store_unavailable",
		    "The store is unavailable; try again shortly.");
		return 0;
	}
	snprintf(pk, sizeof(pk), "user-%s", sub);
	err = gh_store_get_text(s, GH_TABLE_MAIN, pk, "user", &r->user_text,
	    &r->user_len, &r->user_version);
	if (err == GH_ERR_NOTFOUND) {
		gh_reply_err(r, 403, "no_profile",
		    "This account has no profile here yet.");
		return 0;
	} else if (err != GH_OK) {
		gh_reply_fail(r, err, "load user");
		return 0;
	}
	/* status and role straight from the text when they are plain strings;
	 * otherwise from the parsed item, as before. */
	if (gh_json_text_strs(r->user_text, r->user_len, names, bufs,
	    sizeof(sbuf), found, 2) == 0) {
		status = found[0] ? sbuf : NULL;
		role = found[1] ? rbuf : NULL;
	} else if (user_parse(r) == NULL) {
		gh_reply_fail(r, GH_ERR_STORE, "load user");
		return 0;
	} else {
		if (json_object_object_get_ex(r->user, "status", &v))
			status = json_object_get_string(v);
		if (json_object_object_get_ex(r->user, "role", &v))
			role = json_object_get_string(v);
	}
	if (status != NULL && strcmp(status, "active") != 0) {
		gh_reply_err(r, 403, "account_suspended", "This account is suspended.");
		return 0;
	}
	if (signed_out(r)) {
		gh_header(r, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
		gh_reply_err(r, 401, "token_revoked",
		    "This sign-in has ended (signed out or password changed); sign in again.");
		return 0;
	}
	for (i = 0; role != NULL && i < GH_ROLE__MAX; i++)
		if (strcmp(gh_role_names[i], role) == 0)
			break;
	if (role == NULL || i == GH_ROLE__MAX) {
		gh_reply_fail(r, GH_ERR_INTERNAL, "stored role invalid");
		return 0;
	}
	r->role = i;
	if (!(r->route->roles & GH_ROLES(i))) {
		gh_reply_err(r, 403, "forbidden",
		    "Your role (%s) may not use this.", role);
		return 0;
	}
	return 1;
}

static int
authenticate(struct gh_req *r)
{
	const char	*h = io_env(r, "HTTP_AUTHORIZATION"), *why = NULL, *tok;
	enum gh_err	 err;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 || h[7] == '\0') {
		gh_header(r, "WWW-Authenticate", "Bearer");
		gh_reply_err(r, 401, "unauthorized",
		    "A bearer token is required (Authorization: Bearer <id token>).");
		return 0;
	}
	tok = h + 7;
	err = gh_auth_verify(r->proc->conf, tok,
	    r->route->auth == GH_AUTH_ID ? "id" : "access", &r->claims, &why);
	if (err == GH_ERR_CONFIG) {
		gh_reply_fail(r, err, "token verifier");
		return 0;
	}
	if (err != GH_OK) {
		gh_log_note(r, "auth", why != NULL ? why : gh_strerror(err));
		gh_header(r, "WWW-Authenticate", err == GH_ERR_EXPIRED ?
		    "Bearer error=\"invalid_token\", error_description=\"expired\"" :
		    "Bearer error=\"invalid_token\"");
		gh_reply_err(r, 401, "invalid_token", err == GH_ERR_EXPIRED ?
		    "The token has expired." : "The token is not valid.");
		return 0;
	}
	return 1;
}

/* The log line's own members: a note by one of these names is dropped. */
static int
log_reserved(const char *k)
{
	static const char *const names[] = {
		"ts", "rid", "app", "method", "path", "status", "ms", "store_ops",
	};
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i], k) == 0)
			return 1;
	return 0;
}

/* One JSON object per request, written straight into one buffer. */
static void
log_line(struct gh_req *r, const char *method, double ms)
{
	struct printbuf	*pb;
	char		 ts[GH_ISO_TIME_LEN], nums[96], *e;
	uint64_t	 h;

	if ((pb = printbuf_new()) == NULL)
		return;
	gh_iso_time(time(NULL), ts, sizeof(ts));
	printbuf_strappend(pb, "{\"ts\":");
	gh_json_append_str(pb, ts);
	printbuf_strappend(pb, ",\"rid\":");
	gh_json_append_str(pb, r->rid);
	printbuf_strappend(pb, ",\"app\":");
	gh_json_append_str(pb, r->app->name);
	printbuf_strappend(pb, ",\"method\":");
	gh_json_append_str(pb, method ? method : "-");
	printbuf_strappend(pb, ",\"path\":");
	gh_json_append_str(pb, r->path ? r->path : "-");
	e = HEAD_LIT(nums, ",\"status\":");
	e = head_num(e, (uint64_t)(r->status > 0 ? r->status : 0));
	/* ms with two decimals (what "%.2f" wrote, without printf's cost) */
	h = ms > 0 ? (uint64_t)((ms < 1e12 ? ms : 1e12) * 100 + 0.5) : 0;
	e = HEAD_LIT(e, ",\"ms\":");
	e = head_num(e, h / 100);
	*e++ = '.';
	*e++ = (char)('0' + h / 10 % 10);
	*e++ = (char)('0' + h % 10);
	e = HEAD_LIT(e, ",\"store_ops\":");
	e = head_num(e, r->proc->store ? gh_store_ops(r->proc->store) : 0);
	printbuf_memappend(pb, nums, (int)(e - nums));
	if (r->notes != NULL) {
		json_object_object_foreach(r->notes, k, v) {
			if (log_reserved(k))
				continue;
			printbuf_strappend(pb, ",");
			gh_json_append_str(pb, k);
			printbuf_strappend(pb, ":");
			gh_json_append_str(pb, json_object_get_string(v));
		}
	}
	printbuf_strappend(pb, "}\n");
	/* One write(2) so lines from concurrent workers never interleave. */
	if (pb->buf != NULL && pb->bpos > 0)
		(void)!write(STDERR_FILENO, pb->buf, (size_t)pb->bpos);
	printbuf_free(pb);
}

/* 1 if the configuration puts an AWS Cognito pool in front (idp = cognito). */
static int
pool_off(const struct gh_conf *c)
{
	return strcmp(gh_conf_str(c, GH_CONF_IDP), "cognito") == 0;
}

static int
proc_init(const struct gh_app *app, struct gh_proc *p)
{
	const char *msg = NULL;

	if (p->inited)
		return p->conf != NULL;
	p->inited = 1;
	if (gh_conf_load(NULL, 0, &p->conf, &msg) != GH_OK) {
		fprintf(stderr, "{\"level\":\"error\",\"app\":\"%s\",\"what\":"
		    "\"configuration\",\"err\":\"%s\"}\n", app->name,
		    gh_json_escape_static(msg));
		p->conf = NULL;
		return 0;
	}
	/* The embedded pool's programs stay off in Cognito mode: no init. */
	if (app->embedded_pool && pool_off(p->conf))
		return 1;
	if (app->init != NULL && app->init(p->conf) != GH_OK) {
		fprintf(stderr, "{\"level\":\"error\",\"app\":\"%s\",\"what\":"
		    "\"init\"}\n", app->name);
		gh_conf_free(p->conf);
		p->conf = NULL;
		return 0;
	}
	return 1;
}

void
gh_handle(const struct gh_app *app, struct gh_proc *p, struct gh_io *io)
{
	struct gh_req		 req;
	struct gh_req		*r = &req;
	struct timespec		 t0, t1;
	const char		*m, *uri, *q, *ctype, *clen, *seg;
	const struct gh_route	*rt;
	size_t			 i, seglen, plen;
	char			*body = NULL, allow[128];
	long long		 len;
	int			 path_ok = 0;
	const char		*jerr = NULL;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(r, 0, sizeof(*r));
	r->app = app;
	r->io = io;
	r->proc = p;
	make_rid(r);
	if (p->store != NULL)
		gh_store_ops_reset(p->store);

	m = io_env(r, "REQUEST_METHOD");
	uri = io_env(r, "REQUEST_URI");
	if (uri == NULL)
		uri = io_env(r, "SCRIPT_NAME");
	if (uri == NULL)
		uri = "";
	plen = strcspn(uri, "?");
	if (plen > MAX_PATH || (r->path = strndup(uri, plen)) == NULL) {
		r->path = NULL;
		gh_reply_err(r, 414, "uri_too_long", "The request path is too long.");
		goto out;
	}
	if (!parse_method(m, &r->method)) {
		gh_reply_err(r, 405, "method_not_allowed", "Method not supported.");
		goto out;
	}
	if (!proc_init(app, p)) {
		gh_reply_err(r, 503, "unavailable",
		    "The service is not configured; see the server log.");
		goto out;
	}

	if (app->embedded_pool && pool_off(p->conf)) {
		gh_reply_err(r, 404, "not_found", "The embedded user pool is off: "
		    "this server uses AWS Cognito (idp = cognito); see /config.json.");
		goto out;
	}

	/* Path, then method: 404 before 405. */
	allow[0] = '\0';
	for (i = 0; i < app->nroutes; i++) {
		if (!path_match(app->routes[i].path, r->path, &seg, &seglen))
			continue;
		if (!path_ok) {
			path_ok = 1;
			if (seg != NULL && (r->param = pct_decode(seg, seglen, 0)) == NULL) {
				gh_reply_err(r, 404, "not_found", "No such resource.");
				goto out;
			}
		}
		if (strstr(allow, gh_method_names[app->routes[i].method]) == NULL) {
			if (allow[0] != '\0')
				append(allow, sizeof(allow), ", ");
			append(allow, sizeof(allow), gh_method_names[app->routes[i].method]);
		}
		if (app->routes[i].method == r->method ||
		    (r->method == GH_HEAD && app->routes[i].method == GH_GET))
			r->route = &app->routes[i];
	}
	if (!path_ok) {
		gh_reply_err(r, 404, "not_found", "No such resource.");
		goto out;
	}
	if (r->method == GH_OPTIONS && app->cors) {
		gh_header(r, "Access-Control-Allow-Methods", allow);
		gh_header(r, "Access-Control-Allow-Headers", "authorization, "
		    "content-type, x-amz-target, x-amz-user-agent, cache-control, "
		    "amz-sdk-invocation-id, amz-sdk-request, x-request-id");
		gh_header(r, "Access-Control-Max-Age", "600");
		gh_reply_raw(r, 204, NULL, NULL, 0);
		goto out;
	}
	if (r->route == NULL) {
		gh_header(r, "Allow", allow);
		gh_reply_err(r, 405, "method_not_allowed",
		    "Method %s is not allowed here (allowed: %s).", m, allow);
		goto out;
	}
	if (r->param != NULL && (strlen(r->param) > 128 ||
	    strspn(r->param, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._:-") != strlen(r->param))) {
		gh_reply_err(r, 404, "not_found", "No such resource.");
		goto out;
	}
	rt = r->route;

	/* Query string. */
	q = io_env(r, "QUERY_STRING");
	if (q != NULL && *q != '\0') {
		if (strlen(q) > MAX_QUERY) {
			gh_reply_err(r, 414, "uri_too_long", "The query string is too long.");
			goto out;
		}
		if (!parse_query(q, &r->query)) {
			gh_reply_err(r, 400, "invalid_query",
			    "The query string is malformed.");
			goto out;
		}
	}

	/* Body: type, size (before reading), then strict JSON. */
	clen = io_env(r, "CONTENT_LENGTH");
	len = 0;
	if (clen != NULL && *clen != '\0') {
		char *end;
		errno = 0;
		len = strtoll(clen, &end, 10);
		if (*end != '\0' || errno || len < 0) {
			gh_reply_err(r, 400, "bad_length", "Content-Length is malformed.");
			goto out;
		}
	}
	if (rt->flags & GH_R_JSON) {
		const char *want = app->content_type ? app->content_type :
		    "application/json";
		ctype = io_env(r, "CONTENT_TYPE");
		if (!ctype_is(ctype, want) && !ctype_is(ctype, "application/json")) {
			gh_reply_err(r, 415, "unsupported_media_type",
			    "The body must be %s.", want);
			goto out;
		}
		if (len > gh_conf_int(p->conf, GH_CONF_MAX_BODY)) {
			gh_header(r, "Connection", "close");
			gh_reply_err(r, 413, "body_too_large",
			    "The body is larger than %lld bytes.",
			    (long long)gh_conf_int(p->conf, GH_CONF_MAX_BODY));
			goto out;
		}
		if ((body = malloc((size_t)len + 1)) == NULL) {
			gh_reply_fail(r, GH_ERR_NOMEM, "body");
			goto out;
		}
		if (!read_body(io, body, (size_t)len)) {
			gh_reply_err(r, 400, "bad_body", "The body ended early.");
			goto out;
		}
		body[len] = '\0';
		if (gh_json_parse(body, (size_t)len,
		    (int)gh_conf_int(p->conf, GH_CONF_JSON_MAX_DEPTH),
		    &r->body, &jerr) != GH_OK ||
		    !json_object_is_type(r->body, json_type_object)) {
			gh_reply_err(r, 400, "invalid_json", "The body is not a JSON object%s%s.",
			    jerr ? ": " : "", jerr ? jerr : "");
			goto out;
		}
	} else if (len > 0) {
		/* Routes without a declared body take none (and it is not read). */
		gh_header(r, "Connection", "close");
		gh_reply_err(r, 400, "unexpected_body", "This route takes no body.");
		goto out;
	}

	if (rt->nfields > 0) {
		if ((r->vals = calloc(rt->nfields, sizeof(*r->vals))) == NULL) {
			gh_reply_fail(r, GH_ERR_NOMEM, "fields");
			goto out;
		}
		if (!fields_check(r, rt->fields, rt->nfields, r->vals,
		    (rt->flags & GH_R_LENIENT) != 0))
			goto out;
	}
	if ((rt->flags & GH_R_STORE) && gh_req_store(r) == NULL) {
		gh_reply_err(r, 503, "store_unavailable",
		    "The store is unavailable; try again shortly.");
		goto out;
	}
	/* A GET reads one consistent state: the caller's user item and the
	 * handler's reads in one snapshot (with SQLite one read lock, not one
	 * per statement).  A write would end it first (gh_store.h). */
	if ((rt->flags & GH_R_STORE) &&
	    (r->method == GH_GET || r->method == GH_HEAD))
		gh_store_snapshot_begin(p->store);
	if (rt->auth != GH_AUTH_NONE && !authenticate(r))
		goto out;
	if (rt->roles != 0 && !authorize(r))
		goto out;

	rt->handler(r);
	if (!r->replied) {
		fprintf(stderr, "{\"level\":\"bug\",\"rid\":\"%s\",\"msg\":\"no reply\"}\n", r->rid);
		gh_reply_err(r, 500, "internal", "Internal error.");
	}
out:
	gh_store_snapshot_end(p->store);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (p->conf == NULL || gh_conf_bool(p->conf, GH_CONF_LOG_REQUESTS))
		log_line(r, m, (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	free(body);
	free(r->path);
	free(r->param);
	json_object_put(r->query);
	json_object_put(r->body);
	json_object_put(r->claims);
	json_object_put(r->user);
	free(r->user_text);
	json_object_put(r->notes);
	values_clear(r->vals, r->route != NULL ? r->route->nfields : 0);
	free(r->vals);
	values_clear(r->extra, r->nextra);
	for (i = 0; i < r->nhdrs; i++)
		free(r->hdrs[i]);
}

/* --- libfcgi glue ------------------------------------------------------- */

struct fcgi_io {
	struct gh_io	 io;
	FCGX_Request	*rq;
};

static const char *
fcgi_getenv(struct gh_io *io, const char *name)
{
	return FCGX_GetParam(name, ((struct fcgi_io *)io)->rq->envp);
}

static long
fcgi_read(struct gh_io *io, char *buf, size_t len)
{
	if (len > 1 << 30)
		len = 1 << 30;
	return FCGX_GetStr(buf, (int)len, ((struct fcgi_io *)io)->rq->in);
}

static void
fcgi_write(struct gh_io *io, const char *buf, size_t len)
{
	FCGX_PutStr(buf, (int)len, ((struct fcgi_io *)io)->rq->out);
}

int
gh_main(const struct gh_app *app)
{
	FCGX_Request	rq;
	struct fcgi_io	fio;

	if (FCGX_Init() != 0)
		return 1;
	if (FCGX_InitRequest(&rq, 0, 0) != 0)
		return 1;
	fio.io.getenv = fcgi_getenv;
	fio.io.read = fcgi_read;
	fio.io.write = fcgi_write;
	fio.rq = &rq;
	while (FCGX_Accept_r(&rq) >= 0) {
		gh_handle(app, &proc_state, &fio.io);
		FCGX_Finish_r(&rq);
	}
	gh_store_free(proc_state.store);
	gh_conf_free(proc_state.conf);
	return 0;
}
