/*
 * gh_http.h: the FastCGI request cycle, written once for every route.
 *
 * A program declares what it serves in a struct gh_app: a table of routes,
 * each a (method, path) pair with its declared inputs and a handler, and
 * hands it to gh_main(), which runs the FastCGI accept loop.  For every
 * request the library does the same checks in the same order before any
 * handler runs:
 *
 *   path (404) -> method (405 + Allow) -> CORS preflight -> content type
 *   (415) -> body size (413, without reading it) -> JSON body (400) ->
 *   declared fields (400, naming the field) -> store (503) ->
 *   authentication (401) -> authorization: stored user, status, role (403)
 *   -> handler
 *
 * and afterwards writes one JSON log line on stderr (request id, app,
 * method, path without query, status, duration, store requests; never a
 * header value, body, token, password or code).
 *
 * Ownership: the library owns the request and everything reachable from it;
 * it is valid during the handler only.  Reply functions take ownership of the
 * json_object they are given.  A handler must reply exactly once; one that
 * does not gets a logged 500.  Allocation failure: answer 500 and log.
 */
#ifndef GH_HTTP_H
#define GH_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "gh_err.h"

struct gh_conf;
struct gh_store;
struct gh_req;

enum gh_method {
	GH_GET = 0,
	GH_POST,
	GH_PUT,
	GH_DELETE,
	GH_PATCH,
	GH_OPTIONS,
	GH_HEAD,
	GH_METHOD__MAX
};

extern const char *const gh_method_names[GH_METHOD__MAX];

/* Where a declared input comes from. */
enum gh_src {
	GH_SRC_BODY = 0,	/* a member of the JSON object body */
	GH_SRC_QUERY,		/* a query-string parameter (URL-decoded) */
	GH_SRC__MAX
};

/*
 * A declared input after validation.  For body fields json is the member
 * (borrowed from the body); for query fields json is a string object made
 * from the decoded value.  str/len are set for strings, num for integers,
 * boolean for booleans.  Validators may normalise (e.g. lower-case an
 * e-mail into buf).
 */
struct gh_value {
	int		 present;
	json_object	*json;
	const char	*str;
	size_t		 len;
	int64_t		 num;
	int		 boolean;
	char		*buf;		/* validator-owned normalised copy */
};

/* Returns 1 if v (present) is acceptable, filling its parsed members. */
typedef int (*gh_validator)(struct gh_value *v);

struct gh_field {
	const char	*name;
	enum gh_src	 src;
	gh_validator	 valid;
	int		 required;
};

/* Validators shared by routes (strings: valid UTF-8, no NUL). */
int	gh_valid_string(struct gh_value *);	/* 1..256 bytes */
int	gh_valid_text(struct gh_value *);	/* 0..4096 bytes */
int	gh_valid_id(struct gh_value *);		/* 1..128 of [A-Za-z0-9._:-] */
int	gh_valid_email(struct gh_value *);	/* lower-cased, <= 254 */
int	gh_valid_url(struct gh_value *);	/* http(s)://host..., <= 2048 */
int	gh_valid_uint(struct gh_value *);	/* JSON int or decimal, 0..2^53 */
int	gh_valid_bool(struct gh_value *);
int	gh_valid_token(struct gh_value *);	/* JWT/opaque token, <= 8192 */
int	gh_valid_object(struct gh_value *);
int	gh_valid_array(struct gh_value *);
int	gh_valid_cursor(struct gh_value *);	/* base64url, <= 2048 */
int	gh_valid_limit(struct gh_value *);	/* 1..100 */

/* Who may call a route. */
enum gh_auth {
	GH_AUTH_NONE = 0,
	GH_AUTH_ID,		/* Authorization: Bearer <valid id token> */
	GH_AUTH_ACCESS,		/* Authorization: Bearer <valid access token> */
	GH_AUTH__MAX
};

/* Role bits for gh_route.roles (0: any authenticated caller, no lookup). */
enum gh_role {
	GH_ROLE_CUSTOMER = 0,
	GH_ROLE_PARTNER,
	GH_ROLE_ADMIN,
	GH_ROLE__MAX
};
#define GH_ROLES(r)	(1u << (r))
#define GH_ROLES_ALL	(GH_ROLES(GH_ROLE_CUSTOMER) | GH_ROLES(GH_ROLE_PARTNER) | \
			 GH_ROLES(GH_ROLE_ADMIN))
extern const char *const gh_role_names[GH_ROLE__MAX];

/* Route flags. */
#define GH_R_JSON	0x01u	/* a JSON object body is required (415/400) */
#define GH_R_STORE	0x02u	/* the store must be open (503) */
#define GH_R_LENIENT	0x04u	/* ignore undeclared body members */

typedef void (*gh_handler)(struct gh_req *);

struct gh_route {
	enum gh_method		 method;
	const char		*path;	/* exact, or with one "/{}" segment (an id) */
	gh_handler		 handler;
	const struct gh_field	*fields;
	size_t			 nfields;
	enum gh_auth		 auth;
	unsigned		 roles;	/* GH_ROLES(...) mask; needs GH_R_STORE */
	unsigned		 flags;
};

/* How errors are shaped: the contract's {"error","message"} or Cognito's. */
enum gh_errstyle {
	GH_STYLE_API = 0,
	GH_STYLE_COGNITO,
	GH_STYLE__MAX
};

struct gh_app {
	const char		*name;		/* in log lines */
	const struct gh_route	*routes;
	size_t			 nroutes;
	enum gh_errstyle	 style;
	int			 cors;		/* answer CORS for cors_origins */
	const char		*content_type;	/* for GH_R_JSON; NULL: application/json */
	/* Optional once-per-process setup after the configuration loads. */
	enum gh_err		(*init)(const struct gh_conf *);
	/*
	 * 1 for the embedded user pool's programs (/idp, its well-known
	 * documents): with idp = cognito they answer every request 404
	 * ("the embedded pool is off"), before routing, and init is not run.
	 */
	int			 embedded_pool;
};

/* Runs the FastCGI loop; returns the process exit status. */
int		 gh_main(const struct gh_app *app);

/* Handles one request given its CGI-style environment and body stream; used
 * by gh_main and by tests.  See http.c. */

/* --- what a handler may read --- */
const struct gh_conf	*gh_req_conf(const struct gh_req *);
struct gh_store		*gh_req_store(struct gh_req *);	/* open (GH_R_STORE) */
enum gh_method		 gh_req_method(const struct gh_req *);
const char		*gh_req_path(const struct gh_req *);
/* The "{}" segment of the matched route (decoded, validated as an id). */
const char		*gh_req_param(const struct gh_req *);
/* A request header by CGI name without HTTP_ ("X_AMZ_TARGET"), or NULL. */
const char		*gh_req_header(const struct gh_req *, const char *);
const char		*gh_req_remote_addr(const struct gh_req *);
const char		*gh_req_id(const struct gh_req *);
json_object		*gh_req_body(const struct gh_req *);	/* parsed, or NULL */
/* Declared field i of the matched route (never NULL; check ->present). */
const struct gh_value	*gh_req_field(const struct gh_req *, size_t i);
/* After authentication: the verified claims; "sub" of the caller. */
json_object		*gh_req_claims(const struct gh_req *);
const char		*gh_req_sub(const struct gh_req *);
/* After a role check: the caller's stored user item and role. */
json_object		*gh_req_user(const struct gh_req *);
enum gh_role		 gh_req_role(const struct gh_req *);

/*
 * Validates fields[0..n) against the body/query of r into vals[0..n), for
 * handlers that pick their inputs at run time (the user pool's operations).
 * Returns 1 if all pass; else replies 400 naming the field and returns 0.
 * Values are freed with the request.
 */
int		 gh_req_fields(struct gh_req *r, const struct gh_field *fields,
		    size_t n, struct gh_value *vals, int lenient);

/* --- replies (exactly one per request) --- */
void		 gh_reply(struct gh_req *, int status, json_object *body);
void		 gh_reply_raw(struct gh_req *, int status, const char *ctype,
		    const char *body, size_t len);
void		 gh_reply_err(struct gh_req *, int status, const char *code,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A 500 after logging err and what (never user data). */
void		 gh_reply_fail(struct gh_req *, enum gh_err err, const char *what);
/* Adds a response header; name and value must be free of CR/LF. */
void		 gh_header(struct gh_req *, const char *name, const char *value);
/* Adds key=value to this request's log line (value must not be secret). */
void		 gh_log_note(struct gh_req *, const char *key, const char *value);

/* Status text ("Not Found"). */
const char	*gh_status_text(int status);

#endif /* GH_HTTP_H */
