/*
 * store_dynamodb.c: the DynamoDB storage backend.
 *
 * DynamoDB's JSON 1.0 protocol over libcurl: every operation is a POST of
 * a JSON body to "/" with Content-Type application/x-amz-json-1.0 and
 * X-Amz-Target DynamoDB_20120810.<Op>, signed with SigV4 (sigv4.c).  One
 * curl handle per store object, reused for every request so the connection
 * (and its TLS session) stays open between requests of a FastCGI process.
 * Like the SQLite backend's connection it must not cross fork(): a store
 * used in another process than the one that opened it refuses to work.
 *
 * Configuration: dynamodb_region, dynamodb_endpoint (empty: AWS's regional
 * endpoint https://dynamodb.<region>.amazonaws.com; else a base URL such as
 * dynalite's http://127.0.0.1:4567), dynamodb_table, dynamodb_orders_table.
 * Credentials: the provider chain of awscreds.c (environment, container
 * endpoint, EC2 instance metadata; gh_awscreds.h), one chain per store, so
 * fetched once per process and refreshed before they expire.  With an
 * endpoint override the chain is in stand-in mode: the metadata service is
 * asked only when AWS_EC2_METADATA_SERVICE_ENDPOINT is set, and a
 * placeholder pair is used when nothing supplies credentials (dynalite does
 * not check them).  An ExpiredTokenException or UnrecognizedClientException
 * answer to credentials from a network source drops them: fetched again and
 * the request retried once.  Messages built from an answer have the
 * credentials redacted (AWS's signature-mismatch message quotes the
 * canonical request, session token included).
 *
 * Retries: throttling (ProvisionedThroughputExceededException,
 * ThrottlingException, RequestLimitExceeded), 5xx answers and transport
 * failures are retried up to DDB_TRIES times in all, sleeping a random time
 * in [0, min(DDB_CAP_MS, DDB_BASE_MS * 2^n)] before try n+1 ("full jitter").
 * A conditional failure is never retried: it is GH_ERR_CONFLICT at once.
 * Exhausted throttling is GH_ERR_THROTTLED; exhausted 5xx or transport
 * failures GH_ERR_STORE; ValidationException GH_ERR_INVAL.  Every HTTP
 * request, retries included, counts in gh_store_ops.  gh_store_ping (the
 * health check) makes DDB_PING_TRIES attempts only, so it answers quickly.
 *
 * Semantics of gh_store.h on DynamoDB:
 *  - expiry: every condition includes "not expired" (attribute_not_exists
 *    (expires_at) OR expires_at > :now), queries filter with the same
 *    FilterExpression, and every item read is checked again here, because
 *    DynamoDB's TTL deletes lazily (up to days late) and dynalite not at all.
 *  - version: every write sets it (PutItem: computed; UpdateItem: ADD 1).
 *  - put NOT_EXISTS and put VERSION are one conditional PutItem; put
 *    EXISTS first reads the live version (GetItem of three attributes),
 *    then writes conditionally on it, again if a concurrent writer came
 *    between (two requests); an unconditional put first tries as a new item
 *    (one request) and, over a live item, does the same (three).
 *  - update is one UpdateItem (ReturnValues ALL_NEW).  Over an expired item
 *    it fails its condition; then the expired item is deleted (conditionally
 *    on its version, so a live one is never touched) and the update retried,
 *    so it starts a new item as the interface requires.
 *  - delete is one DeleteItem (ReturnValues ALL_OLD), atomic: of concurrent
 *    deletes exactly one passes the "exists and live" condition.  A failed
 *    GH_COND_VERSION delete reads the item once to tell "absent" from "other
 *    version".
 *  - query: Query with KeyConditionExpression on the base table or a GSI;
 *    LastEvaluatedKey becomes the cursor (store.c encodes and binds it to
 *    the query).  A page may hold fewer items than the limit (expired items
 *    filtered) and still carry a cursor, as gh_store.h allows.
 *  - batch get: BatchGetItem, UnprocessedKeys retried with the same backoff.
 *  - values: string S, integer N (written in decimal, read back as an
 *    integer when the N is one that fits 64 bits), double N (read back as a
 *    double when not integral; DynamoDB normalises numbers, so a double with
 *    an integral value such as 2.0 reads back as the integer 2), boolean
 *    BOOL, null NULL, array L, object M.  Sets (SS, NS, BS) and binaries are
 *    never written; read back as arrays and base64 strings.
 *  - every attribute name and value reaches DynamoDB through
 *    ExpressionAttributeNames/Values; expressions hold placeholders only.
 */
#include <sys/types.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "gh_awscreds.h"
#include "gh_conf.h"
#include "gh_curl.h"
#include "gh_json.h"
#include "gh_sigv4.h"
#include "store_impl.h"

#define DDB_TRIES	8		/* HTTP attempts per operation */
#define DDB_PING_TRIES	2		/* ... per gh_store_ping */
#define DDB_BASE_MS	25
#define DDB_CAP_MS	2000
#define DDB_RESP_MAX	(32 * 1024 * 1024)	/* bytes of one answer */
#define DDB_TIMEOUT_MS	20000
#define DDB_WRITE_LOOPS	8		/* read-then-write rounds of a put */
#define DDB_TABLE_WAIT	300		/* seconds create-tables waits */
#define DDB_DEPTH	32		/* DynamoDB's nesting limit */
#define ANSWER_DEPTH	(2 * DDB_DEPTH + 16)

#define JSON_FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* The live-item condition; #exp = expires_at, :now = now. */
#define LIVE		"(attribute_not_exists(#exp) OR #exp > :now)"

struct ddb {
	CURL		*curl;
	pid_t		 pid;
	char		*url;		/* endpoint + "/" */
	char		*host;		/* the Host header */
	char		*region;
	char		*table[GH_TABLE__MAX];
	struct gh_awscreds_chain *creds;
	char		*resp;		/* the last answer's body */
	size_t		 resplen, respcap;
	int		 toolarge;
	unsigned	 seed;
	unsigned	 tries;		/* attempts per request: DDB_TRIES */
};

/* An expression under construction: its names and values. */
struct expr {
	json_object	*names;		/* "#n0" -> name */
	json_object	*values;	/* ":v0" -> AttributeValue */
	unsigned	 nn, nv;
};

static enum gh_err	to_av(json_object *v, json_object **out, int depth);
static enum gh_err	from_av(json_object *av, json_object **out, int depth);

/* ------------------------------------------------------------------ */
/* Values */

static enum gh_err
to_av(json_object *v, json_object **out, int depth)
{
	json_object	*av = NULL, *inner = NULL, *e;
	char		 num[64];
	double		 d;
	size_t		 i, n;
	enum gh_err	 err = GH_ERR_NOMEM;

	if (depth >= DDB_DEPTH)
		return GH_ERR_INVAL;
	if ((av = json_object_new_object()) == NULL)
		return GH_ERR_NOMEM;
	switch (json_object_get_type(v)) {
	case json_type_null:
		inner = json_object_new_boolean(1);
		if (json_object_object_add(av, "NULL", inner) != 0)
			goto out;
		break;
	case json_type_boolean:
		inner = json_object_new_boolean(json_object_get_boolean(v));
		if (json_object_object_add(av, "BOOL", inner) != 0)
			goto out;
		break;
	case json_type_int:
		snprintf(num, sizeof(num), "%" PRId64, json_object_get_int64(v));
		inner = json_object_new_string(num);
		if (json_object_object_add(av, "N", inner) != 0)
			goto out;
		break;
	case json_type_double:
		d = json_object_get_double(v);
		if (!isfinite(d)) {
			err = GH_ERR_INVAL;
			goto fail;
		}
		snprintf(num, sizeof(num), "%.17g", d);
		inner = json_object_new_string(num);
		if (json_object_object_add(av, "N", inner) != 0)
			goto out;
		break;
	case json_type_string:
		inner = json_object_new_string_len(json_object_get_string(v),
		    json_object_get_string_len(v));
		if (json_object_object_add(av, "S", inner) != 0)
			goto out;
		break;
	case json_type_array:
		n = json_object_array_length(v);
		if ((inner = json_object_new_array_ext((int)n)) == NULL)
			goto fail;
		if (json_object_object_add(av, "L", inner) != 0)
			goto out;
		for (i = 0; i < n; i++) {
			if ((err = to_av(json_object_array_get_idx(v, i), &e,
			    depth + 1)) != GH_OK)
				goto fail;
			if (json_object_array_add(inner, e) != 0) {
				json_object_put(e);
				err = GH_ERR_NOMEM;
				goto fail;
			}
		}
		break;
	case json_type_object:
		if ((inner = json_object_new_object()) == NULL)
			goto fail;
		if (json_object_object_add(av, "M", inner) != 0)
			goto out;
		json_object_object_foreach(v, k, val) {
			if ((err = to_av(val, &e, depth + 1)) != GH_OK)
				goto fail;
			if (json_object_object_add(inner, k, e) != 0) {
				json_object_put(e);
				err = GH_ERR_NOMEM;
				goto fail;
			}
		}
		break;
	}
	*out = av;
	return GH_OK;
out:
	json_object_put(inner);	/* not attached */
fail:
	json_object_put(av);
	return err;
}

/* An N as a json integer (if it is one that fits) or double. */
static json_object *
from_num(const char *s)
{
	const char	*p = s;
	char		*end;
	long long	 ll;

	if (*p == '-')
		p++;
	if (*p != '\0' && strspn(p, "0123456789") == strlen(p)) {
		errno = 0;
		ll = strtoll(s, &end, 10);
		if (errno == 0 && *end == '\0')
			return json_object_new_int64(ll);
	}
	return json_object_new_double(strtod(s, NULL));
}

static enum gh_err
from_av(json_object *av, json_object **out, int depth)
{
	json_object	*res = NULL, *e, *x;
	size_t		 i, n;
	enum gh_err	 err;

	if (depth > 2 * DDB_DEPTH || !json_object_is_type(av, json_type_object) ||
	    json_object_object_length(av) != 1)
		return GH_ERR_STORE;
	json_object_object_foreach(av, type, v) {
		if (strcmp(type, "S") == 0 || strcmp(type, "B") == 0) {
			res = json_object_new_string_len(
			    json_object_get_string(v),
			    json_object_get_string_len(v));
		} else if (strcmp(type, "N") == 0) {
			res = from_num(json_object_get_string(v));
		} else if (strcmp(type, "BOOL") == 0) {
			res = json_object_new_boolean(
			    json_object_get_boolean(v));
		} else if (strcmp(type, "NULL") == 0) {
			*out = NULL;
			return GH_OK;
		} else if (strcmp(type, "L") == 0 || strcmp(type, "SS") == 0 ||
		    strcmp(type, "NS") == 0 || strcmp(type, "BS") == 0) {
			if (!json_object_is_type(v, json_type_array))
				return GH_ERR_STORE;
			n = json_object_array_length(v);
			if ((res = json_object_new_array_ext((int)n)) == NULL)
				return GH_ERR_NOMEM;
			for (i = 0; i < n; i++) {
				x = json_object_array_get_idx(v, i);
				e = NULL;
				if (type[0] == 'L') {
					if ((err = from_av(x, &e, depth + 1)) !=
					    GH_OK) {
						json_object_put(res);
						return err;
					}
				} else if (type[0] == 'N')
					e = from_num(json_object_get_string(x));
				else
					e = json_object_new_string(
					    json_object_get_string(x));
				if (json_object_array_add(res, e) != 0) {
					json_object_put(e);
					json_object_put(res);
					return GH_ERR_NOMEM;
				}
			}
		} else if (strcmp(type, "M") == 0) {
			if (!json_object_is_type(v, json_type_object))
				return GH_ERR_STORE;
			if ((res = json_object_new_object()) == NULL)
				return GH_ERR_NOMEM;
			json_object_object_foreach(v, k, val) {
				if ((err = from_av(val, &e, depth + 1)) !=
				    GH_OK) {
					json_object_put(res);
					return err;
				}
				if (json_object_object_add(res, k, e) != 0) {
					json_object_put(e);
					json_object_put(res);
					return GH_ERR_NOMEM;
				}
			}
		} else
			return GH_ERR_STORE;
		if (res == NULL)
			return GH_ERR_NOMEM;
	}
	*out = res;
	return GH_OK;
}

/* A DynamoDB item (map of AttributeValues) as a store item. */
static enum gh_err
item_from(struct gh_store *s, json_object *m, json_object **out)
{
	json_object	*item, *v;
	enum gh_err	 err;

	if (!json_object_is_type(m, json_type_object))
		return gh_store_fail(s, GH_ERR_STORE,
		    "dynamodb: an item is not an object");
	if ((item = json_object_new_object()) == NULL)
		return GH_ERR_NOMEM;
	json_object_object_foreach(m, k, av) {
		if ((err = from_av(av, &v, 0)) != GH_OK) {
			json_object_put(item);
			return gh_store_fail(s, err,
			    "dynamodb: attribute %s: unreadable value", k);
		}
		if (json_object_object_add(item, k, v) != 0) {
			json_object_put(v);
			json_object_put(item);
			return GH_ERR_NOMEM;
		}
	}
	*out = item;
	return GH_OK;
}

/* A store item as a DynamoDB item, without its "version". */
static enum gh_err
item_to(json_object *item, json_object **out)
{
	json_object	*m, *av;
	enum gh_err	 err;

	if ((m = json_object_new_object()) == NULL)
		return GH_ERR_NOMEM;
	json_object_object_foreach(item, k, v) {
		if (strcmp(k, "version") == 0)
			continue;
		if ((err = to_av(v, &av, 0)) != GH_OK) {
			json_object_put(m);
			return err;
		}
		if (json_object_object_add(m, k, av) != 0) {
			json_object_put(av);
			json_object_put(m);
			return GH_ERR_NOMEM;
		}
	}
	*out = m;
	return GH_OK;
}

static json_object *
av_s(const char *s)
{
	json_object	*av;

	if ((av = json_object_new_object()) == NULL)
		return NULL;
	if (json_object_object_add(av, "S", json_object_new_string(s)) != 0) {
		json_object_put(av);
		return NULL;
	}
	return av;
}

static json_object *
av_n(int64_t n)
{
	json_object	*av = NULL, *v;

	if ((v = json_object_new_int64(n)) == NULL)
		return NULL;
	if (to_av(v, &av, 0) != GH_OK)
		av = NULL;
	json_object_put(v);
	return av;
}

/* {"PK":{"S":pk},"SK":{"S":sk}} */
static json_object *
key_of(const char *pk, const char *sk)
{
	json_object	*k;

	if ((k = json_object_new_object()) == NULL)
		return NULL;
	if (json_object_object_add(k, "PK", av_s(pk)) != 0 ||
	    json_object_object_add(k, "SK", av_s(sk)) != 0 ||
	    json_object_object_get(k, "PK") == NULL ||
	    json_object_object_get(k, "SK") == NULL) {
		json_object_put(k);
		return NULL;
	}
	return k;
}

/* ------------------------------------------------------------------ */
/* Expressions: placeholders only. */

static void
expr_free(struct expr *e)
{
	json_object_put(e->names);
	json_object_put(e->values);
	memset(e, 0, sizeof(*e));
}

static enum gh_err
expr_init(struct expr *e)
{
	memset(e, 0, sizeof(*e));
	if ((e->names = json_object_new_object()) == NULL ||
	    (e->values = json_object_new_object()) == NULL) {
		expr_free(e);
		return GH_ERR_NOMEM;
	}
	return GH_OK;
}

/* A new "#nK" for name, written into buf. */
static enum gh_err
expr_name(struct expr *e, const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "#n%u", e->nn++);
	if (json_object_object_add(e->names, buf,
	    json_object_new_string(name)) != 0)
		return GH_ERR_NOMEM;
	return GH_OK;
}

/* Binds a fixed placeholder ("#exp") to name. */
static enum gh_err
expr_fixed_name(struct expr *e, const char *ph, const char *name)
{
	if (json_object_object_get_ex(e->names, ph, NULL))
		return GH_OK;
	if (json_object_object_add(e->names, ph,
	    json_object_new_string(name)) != 0)
		return GH_ERR_NOMEM;
	return GH_OK;
}

/* A new ":vK" bound to av (taken), written into buf. */
static enum gh_err
expr_value(struct expr *e, json_object *av, char *buf, size_t size)
{
	if (av == NULL)
		return GH_ERR_NOMEM;
	snprintf(buf, size, ":v%u", e->nv++);
	if (json_object_object_add(e->values, buf, av) != 0) {
		json_object_put(av);
		return GH_ERR_NOMEM;
	}
	return GH_OK;
}

static enum gh_err
expr_fixed_value(struct expr *e, const char *ph, json_object *av)
{
	if (av == NULL)
		return GH_ERR_NOMEM;
	if (json_object_object_add(e->values, ph, av) != 0) {
		json_object_put(av);
		return GH_ERR_NOMEM;
	}
	return GH_OK;
}

/* Adds the names and values to req (only those not empty). */
static enum gh_err
expr_attach(struct expr *e, json_object *req)
{
	if (json_object_object_length(e->names) > 0) {
		if (json_object_object_add(req, "ExpressionAttributeNames",
		    json_object_get(e->names)) != 0)
			return GH_ERR_NOMEM;
	}
	if (json_object_object_length(e->values) > 0) {
		if (json_object_object_add(req, "ExpressionAttributeValues",
		    json_object_get(e->values)) != 0)
			return GH_ERR_NOMEM;
	}
	return GH_OK;
}

/*
 * The condition text for cond, binding #pk, #exp, #ver, :now and :ver as
 * needed.  kind: the write it guards.
 */
enum cond_kind { CK_PUT, CK_UPDATE, CK_DELETE };

static enum gh_err
cond_text(struct expr *e, const struct gh_cond *cond, int64_t now,
    const char **text)
{
	enum gh_err	 err;

	if ((err = expr_fixed_name(e, "#exp", "expires_at")) != GH_OK ||
	    (err = expr_fixed_value(e, ":now", av_n(now))) != GH_OK)
		return err;
	switch (cond->type) {
	case GH_COND_NOT_EXISTS:
		if ((err = expr_fixed_name(e, "#pk", "PK")) != GH_OK)
			return err;
		*text = "attribute_not_exists(#pk) OR #exp <= :now";
		break;
	case GH_COND_EXISTS:
		if ((err = expr_fixed_name(e, "#pk", "PK")) != GH_OK)
			return err;
		*text = "attribute_exists(#pk) AND " LIVE;
		break;
	case GH_COND_VERSION:
		if ((err = expr_fixed_name(e, "#pk", "PK")) != GH_OK ||
		    (err = expr_fixed_name(e, "#ver", "version")) != GH_OK ||
		    (err = expr_fixed_value(e, ":ver", av_n(cond->version))) !=
		    GH_OK)
			return err;
		*text = "attribute_exists(#pk) AND #ver = :ver AND " LIVE;
		break;
	default:
		*text = LIVE;	/* absent or live (an expired one is not) */
		break;
	}
	return GH_OK;
}

/* ------------------------------------------------------------------ */
/* HTTP */

static size_t
on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct ddb	*d = arg;
	size_t		 n = size * nmemb, cap;
	char		*p;

	if (d->resplen + n > DDB_RESP_MAX) {
		d->toolarge = 1;
		return 0;
	}
	if (d->resplen + n + 1 > d->respcap) {
		cap = d->respcap ? d->respcap : 16384;
		while (cap < d->resplen + n + 1)
			cap *= 2;
		if ((p = realloc(d->resp, cap)) == NULL)
			return 0;
		d->resp = p;
		d->respcap = cap;
	}
	memcpy(d->resp + d->resplen, ptr, n);
	d->resplen += n;
	d->resp[d->resplen] = '\0';
	return n;
}

static void
sleep_ms(long ms)
{
	struct timespec	 ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Full jitter: a random time in [0, min(cap, base * 2^attempt)]. */
static void
backoff(struct ddb *d, unsigned attempt)
{
	long	 ceil = DDB_BASE_MS;

	while (attempt-- > 0 && ceil < DDB_CAP_MS)
		ceil *= 2;
	if (ceil > DDB_CAP_MS)
		ceil = DDB_CAP_MS;
	sleep_ms((long)(rand_r(&d->seed) % (unsigned)(ceil + 1)));
}

static int
is_throttle(const char *type)
{
	return strcmp(type, "ProvisionedThroughputExceededException") == 0 ||
	    strcmp(type, "ThrottlingException") == 0 ||
	    strcmp(type, "RequestLimitExceeded") == 0;
}

/*
 * One signed POST; fills d->resp, *status.  *cr gets the credentials it was
 * signed with (the caller clears them).  GH_ERR_IO on transport; no
 * credentials: GH_ERR_CONFIG or GH_ERR_STORE (not retried).
 */
static enum gh_err
ddb_post(struct gh_store *s, const char *op, const char *body, size_t len,
    long *status, struct gh_awscreds *cr)
{
	struct ddb		*d = s->impl;
	struct gh_sigv4_header	 h[5];
	struct gh_sigv4_request	 r;
	struct gh_sigv4_key	 k;
	struct curl_slist	*list = NULL, *l;
	char			 date[17], target[96], *auth = NULL, *line;
	size_t			 n = 0, i;
	enum gh_err		 err;
	CURLcode		 rc;

	gh_awscreds_clear(cr);
	if ((err = gh_awscreds_get(d->creds, cr)) != GH_OK)
		return gh_store_fail(s, err == GH_ERR_CONFIG || err ==
		    GH_ERR_NOMEM ? err : GH_ERR_STORE, "dynamodb: %s: %s", op,
		    gh_awscreds_errmsg(d->creds));
	k = (struct gh_sigv4_key){ cr->access_key, cr->secret_key, d->region,
	    "dynamodb" };
	gh_sigv4_amzdate(time(NULL), date);
	snprintf(target, sizeof(target), "DynamoDB_20120810.%s", op);
	h[n++] = (struct gh_sigv4_header){ "Host", d->host };
	h[n++] = (struct gh_sigv4_header){ "Content-Type",
	    "application/x-amz-json-1.0" };
	h[n++] = (struct gh_sigv4_header){ "X-Amz-Date", date };
	h[n++] = (struct gh_sigv4_header){ "X-Amz-Target", target };
	if (cr->token != NULL)
		h[n++] = (struct gh_sigv4_header){ "X-Amz-Security-Token",
		    cr->token };
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.path = "/";
	r.headers = h;
	r.nheaders = n;
	r.body = body;
	r.bodylen = len;
	if ((err = gh_sigv4_sign(&r, &k, date, &auth, NULL, NULL)) != GH_OK)
		return gh_store_fail(s, err, "dynamodb: signing failed");
	for (i = 0; i <= n; i++) {
		if (i < n) {
			if (asprintf(&line, "%s: %s", h[i].name, h[i].value) <
			    0)
				line = NULL;
		} else if (asprintf(&line, "Authorization: %s", auth) < 0)
			line = NULL;
		if (line == NULL || (l = curl_slist_append(list, line)) ==
		    NULL) {
			free(line);
			curl_slist_free_all(list);
			free(auth);
			return gh_store_fail(s, GH_ERR_NOMEM, "dynamodb: out of "
			    "memory");
		}
		free(line);
		list = l;
	}
	if ((l = curl_slist_append(list, "Expect:")) != NULL)
		list = l;
	free(auth);

	/* The buffer is kept for the next answer unless it grew large. */
	if (d->respcap > 1024 * 1024) {
		free(d->resp);
		d->resp = NULL;
		d->respcap = 0;
	}
	d->resplen = 0;
	if (d->resp != NULL)
		d->resp[0] = '\0';
	d->toolarge = 0;
	curl_easy_setopt(d->curl, CURLOPT_URL, d->url);
	curl_easy_setopt(d->curl, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(d->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(d->curl, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)len);
	s->ops++;
	rc = curl_easy_perform(d->curl);
	curl_easy_setopt(d->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(list);
	if (d->toolarge)
		return gh_store_fail(s, GH_ERR_STORE, "dynamodb: %s: answer "
		    "over %d bytes", op, DDB_RESP_MAX);
	if (rc != CURLE_OK)
		return gh_store_fail(s, GH_ERR_IO, "dynamodb: %s: %s", op,
		    curl_easy_strerror(rc));
	curl_easy_getinfo(d->curl, CURLINFO_RESPONSE_CODE, status);
	return GH_OK;
}

/*
 * The answer as JSON, or NULL.  Deeper than json-c's default of 32: an item
 * nested to DynamoDB's 32 levels takes two JSON levels per level in
 * AttributeValue form.
 */
static json_object *
parse_answer(struct ddb *d)
{
	json_tokener	*tok;
	json_object	*o;

	if (d->resp == NULL || (tok = json_tokener_new_ex(ANSWER_DEPTH)) ==
	    NULL)
		return NULL;
	o = json_tokener_parse_ex(tok, d->resp, (int)d->resplen);
	if (o != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != d->resplen)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/*
 * Calls op with req; *resp (may be NULL) gets the parsed answer.  Retries
 * as described at the top.  *etype (may be NULL) gets the error type of a
 * failure (static storage of this store: valid until the next call).
 */
static enum gh_err
ddb_call(struct gh_store *s, const char *op, json_object *req,
    json_object **resp)
{
	struct ddb	*d = s->impl;
	const char	*body, *type, *hash, *m;
	char		*msg = NULL;
	json_object	*ans = NULL, *v;
	struct gh_awscreds cr = { NULL, NULL, NULL, 0, GH_AWSCREDS_NONE };
	size_t		 len;
	unsigned	 attempt;
	long		 status = 0;
	enum gh_err	 err = GH_ERR_STORE;
	int		 refreshed = 0;
	char		 tbuf[128];

	if (d->pid != getpid())
		return gh_store_fail(s, GH_ERR_STORE,
		    "dynamodb: store opened in another process (fork)");
	if ((body = json_object_to_json_string_length(req, JSON_FLAGS,
	    &len)) == NULL)
		return GH_ERR_NOMEM;
	for (attempt = 0; attempt < d->tries; attempt++) {
		if (attempt > 0)
			backoff(d, attempt - 1);
		json_object_put(ans);
		ans = NULL;
		err = ddb_post(s, op, body, len, &status, &cr);
		if (err == GH_ERR_IO) {
			err = GH_ERR_STORE;	/* transport: retry */
			continue;
		}
		if (err != GH_OK)
			goto out;
		ans = parse_answer(d);
		if (status == 200) {
			if (ans == NULL || !json_object_is_type(ans,
			    json_type_object)) {
				err = gh_store_fail(s, GH_ERR_STORE,
				    "dynamodb: %s: unreadable answer", op);
				goto out;
			}
			if (resp != NULL) {
				*resp = ans;
				ans = NULL;
			}
			err = GH_OK;
			goto out;
		}
		type = "";
		free(msg);
		msg = NULL;
		if (ans != NULL && json_object_object_get_ex(ans, "__type", &v))
			type = json_object_get_string(v);
		m = "";
		if (ans != NULL && (json_object_object_get_ex(ans, "message",
		    &v) || json_object_object_get_ex(ans, "Message", &v)) &&
		    json_object_get_string(v) != NULL)
			m = json_object_get_string(v);
		/* Redacted before any truncation can cut a secret (top). */
		if ((msg = gh_awscreds_redact_dup(&cr, m)) == NULL) {
			err = gh_store_fail(s, GH_ERR_NOMEM, "dynamodb: out of "
			    "memory");
			goto out;
		}
		if ((hash = strrchr(type, '#')) != NULL)
			type = hash + 1;
		snprintf(tbuf, sizeof(tbuf), "%s", type);
		if (status >= 500 || is_throttle(tbuf)) {
			err = is_throttle(tbuf) ? GH_ERR_THROTTLED :
			    GH_ERR_STORE;
			gh_store_fail(s, err, "dynamodb: %s: HTTP %ld %s %s",
			    op, status, tbuf, msg);
			gh_awscreds_redact(&cr, s->errmsg, sizeof(s->errmsg));
			continue;
		}
		if (!refreshed && (strcmp(tbuf, "ExpiredTokenException") ==
		    0 || strcmp(tbuf, "UnrecognizedClientException") == 0) &&
		    gh_awscreds_invalidate(d->creds)) {
			refreshed = 1;	/* fetched again, retried once */
			err = gh_store_fail(s, GH_ERR_STORE, "dynamodb: %s: "
			    "HTTP %ld %s", op, status, tbuf);
			continue;
		}
		if (strcmp(tbuf, "ConditionalCheckFailedException") == 0)
			err = GH_ERR_CONFLICT;
		else if (strcmp(tbuf, "ValidationException") == 0 ||
		    strcmp(tbuf, "SerializationException") == 0)
			err = GH_ERR_INVAL;
		else if (strcmp(tbuf, "ResourceInUseException") == 0)
			err = GH_ERR_CONFLICT;
		else if (strcmp(tbuf, "ResourceNotFoundException") == 0)
			err = GH_ERR_NOTFOUND;
		else
			err = GH_ERR_STORE;
		gh_store_fail(s, err, "dynamodb: %s: HTTP %ld %s %s", op,
		    status, tbuf[0] ? tbuf : "(no type)", msg);
		gh_awscreds_redact(&cr, s->errmsg, sizeof(s->errmsg));
		goto out;
	}
out:
	free(msg);
	json_object_put(ans);
	gh_awscreds_clear(&cr);
	return err;
}

/* ------------------------------------------------------------------ */
/* Requests */

static json_object *
req_new(struct gh_store *s, enum gh_table t)
{
	struct ddb	*d = s->impl;
	json_object	*req;

	if ((req = json_object_new_object()) == NULL)
		return NULL;
	if (json_object_object_add(req, "TableName",
	    json_object_new_string(d->table[t])) != 0) {
		json_object_put(req);
		return NULL;
	}
	return req;
}

static int
add_str(json_object *o, const char *k, const char *v)
{
	return json_object_object_add(o, k, json_object_new_string(v));
}

/* An operation failing with NOTFOUND means its table is missing. */
static enum gh_err
not_table(struct gh_store *s, enum gh_err err)
{
	if (err == GH_ERR_NOTFOUND)
		return gh_store_fail(s, GH_ERR_STORE, "%s (run gatehouse "
		    "dynamodb create-tables)", s->errmsg);
	return err;
}

/* GetItem, consistent; *out the live item or NOTFOUND. */
static enum gh_err
ddb_getitem(struct gh_store *s, enum gh_table t, const char *pk,
    const char *sk, const char *projection, json_object **out)
{
	json_object	*req, *resp = NULL, *m, *item = NULL;
	struct expr	 e;
	enum gh_err	 err = GH_ERR_NOMEM;

	if ((req = req_new(s, t)) == NULL)
		return GH_ERR_NOMEM;
	if (expr_init(&e) != GH_OK)
		goto out;
	if (json_object_object_add(req, "Key", key_of(pk, sk)) != 0 ||
	    json_object_object_add(req, "ConsistentRead",
	    json_object_new_boolean(1)) != 0)
		goto out;
	if (projection != NULL) {
		if (expr_fixed_name(&e, "#pk", "PK") != GH_OK ||
		    expr_fixed_name(&e, "#ver", "version") != GH_OK ||
		    expr_fixed_name(&e, "#exp", "expires_at") != GH_OK ||
		    add_str(req, "ProjectionExpression", projection) != 0 ||
		    expr_attach(&e, req) != GH_OK)
			goto out;
	}
	if ((err = not_table(s, ddb_call(s, "GetItem", req, &resp))) != GH_OK)
		goto out;
	if (!json_object_object_get_ex(resp, "Item", &m) ||
	    json_object_object_length(m) == 0) {
		err = GH_ERR_NOTFOUND;
		goto out;
	}
	if ((err = item_from(s, m, &item)) != GH_OK)
		goto out;
	if (gh_store_item_expired(item, gh_store_now())) {
		err = GH_ERR_NOTFOUND;
		goto out;
	}
	*out = item;
	item = NULL;
out:
	json_object_put(item);
	json_object_put(resp);
	json_object_put(req);
	expr_free(&e);
	return err;
}

static enum gh_err
ddb_ping(struct gh_store *s)
{
	struct ddb	*d = s->impl;
	json_object	*item = NULL;
	enum gh_err	 err;

	/* A health check answers quickly: two attempts, not DDB_TRIES. */
	d->tries = DDB_PING_TRIES;
	err = ddb_getitem(s, GH_TABLE_MAIN, "#ping", "#ping", NULL, &item);
	d->tries = DDB_TRIES;
	json_object_put(item);
	return err == GH_ERR_NOTFOUND ? GH_OK : err;
}

static enum gh_err
ddb_get(struct gh_store *s, enum gh_table t, const char *pk, const char *sk,
    json_object **out)
{
	return ddb_getitem(s, t, pk, sk, NULL, out);
}

static int64_t
version_of(json_object *item)
{
	json_object	*v;

	if (json_object_object_get_ex(item, "version", &v) &&
	    json_object_is_type(v, json_type_int))
		return json_object_get_int64(v);
	return 0;
}

/* One conditional PutItem of m (the item as AttributeValues) at version. */
static enum gh_err
put_once(struct gh_store *s, enum gh_table t, json_object *m,
    const struct gh_cond *cond, int64_t version)
{
	json_object	*req;
	struct expr	 e;
	const char	*ctext;
	enum gh_err	 err = GH_ERR_NOMEM;

	if ((req = req_new(s, t)) == NULL)
		return GH_ERR_NOMEM;
	if ((err = expr_init(&e)) != GH_OK)
		goto out;
	err = GH_ERR_NOMEM;
	if (json_object_object_add(m, "version", av_n(version)) != 0 ||
	    json_object_object_get(m, "version") == NULL)
		goto out;
	if (json_object_object_add(req, "Item", json_object_get(m)) != 0)
		goto out;
	if ((err = cond_text(&e, cond, gh_store_now(), &ctext)) != GH_OK)
		goto out;
	err = GH_ERR_NOMEM;
	if (add_str(req, "ConditionExpression", ctext) != 0 ||
	    expr_attach(&e, req) != GH_OK)
		goto out;
	err = not_table(s, ddb_call(s, "PutItem", req, NULL));
out:
	json_object_put(req);
	expr_free(&e);
	return err;
}

static enum gh_err
ddb_put(struct gh_store *s, enum gh_table t, json_object *item,
    const struct gh_cond *cond)
{
	json_object	*pkv, *skv, *old, *m = NULL;
	struct gh_cond	 c;
	int64_t		 version = 0;
	enum gh_err	 err;
	int		 round;

	/* Converted first: an item DynamoDB cannot hold costs no request. */
	if ((err = item_to(item, &m)) != GH_OK)
		return err == GH_ERR_INVAL ? gh_store_fail(s, err, "dynamodb: "
		    "item nested deeper than %d levels or not a finite "
		    "number", DDB_DEPTH) : err;
	json_object_object_get_ex(item, "PK", &pkv);
	json_object_object_get_ex(item, "SK", &skv);
	switch (cond->type) {
	case GH_COND_NOT_EXISTS:
		version = 1;
		err = put_once(s, t, m, cond, version);
		break;
	case GH_COND_VERSION:
		version = cond->version + 1;
		err = put_once(s, t, m, cond, version);
		break;
	default:
		/*
		 * Unconditional: first as a new item (one request: most such
		 * puts write fresh keys, a sign-in's session item say); over
		 * a live one, read its version and write on it, again if it
		 * moved meanwhile.
		 */
		if (cond->type == GH_COND_NONE) {
			c.type = GH_COND_NOT_EXISTS;
			c.version = 0;
			version = 1;
			if ((err = put_once(s, t, m, &c, version)) !=
			    GH_ERR_CONFLICT)
				break;
		}
		for (round = 0; round < DDB_WRITE_LOOPS; round++) {
			old = NULL;
			err = ddb_getitem(s, t, json_object_get_string(pkv),
			    json_object_get_string(skv), "#pk, #ver, #exp",
			    &old);
			if (err == GH_ERR_NOTFOUND) {
				if (cond->type == GH_COND_EXISTS) {
					err = GH_ERR_CONFLICT;
					goto out;
				}
				c.type = GH_COND_NOT_EXISTS;
				c.version = 0;
				version = 1;
			} else if (err == GH_OK) {
				c.type = GH_COND_VERSION;
				c.version = version_of(old);
				version = c.version + 1;
				json_object_put(old);
			} else
				goto out;
			err = put_once(s, t, m, &c, version);
			if (err != GH_ERR_CONFLICT)
				break;
		}
		if (err == GH_ERR_CONFLICT)
			err = gh_store_fail(s, GH_ERR_THROTTLED, "dynamodb: "
			    "put: the item kept changing");
		break;
	}
	if (err == GH_OK)
		err = gh_json_add_int(item, "version", version);
out:
	json_object_put(m);
	return err;
}

/* Deletes the item at pk/sk if it is expired at version v (best effort). */
static void
drop_expired(struct gh_store *s, enum gh_table t, const char *pk,
    const char *sk, int64_t v)
{
	json_object	*req;
	struct expr	 e;

	if ((req = req_new(s, t)) == NULL)
		return;
	if (expr_init(&e) == GH_OK &&
	    json_object_object_add(req, "Key", key_of(pk, sk)) == 0 &&
	    expr_fixed_name(&e, "#ver", "version") == GH_OK &&
	    expr_fixed_name(&e, "#exp", "expires_at") == GH_OK &&
	    expr_fixed_value(&e, ":ver", av_n(v)) == GH_OK &&
	    expr_fixed_value(&e, ":now", av_n(gh_store_now())) == GH_OK &&
	    add_str(req, "ConditionExpression",
	    "#ver = :ver AND #exp <= :now") == 0 &&
	    expr_attach(&e, req) == GH_OK)
		(void)ddb_call(s, "DeleteItem", req, NULL);
	json_object_put(req);
	expr_free(&e);
}

/* Reads the raw item (expired or not): 1 expired (*v its version), 0 live,
 * -1 absent or failed. */
static int
peek_expired(struct gh_store *s, enum gh_table t, const char *pk,
    const char *sk, int64_t *v)
{
	json_object	*req, *resp = NULL, *m, *item = NULL;
	int		 rc = -1;

	if ((req = req_new(s, t)) == NULL)
		return -1;
	if (json_object_object_add(req, "Key", key_of(pk, sk)) == 0 &&
	    json_object_object_add(req, "ConsistentRead",
	    json_object_new_boolean(1)) == 0 &&
	    ddb_call(s, "GetItem", req, &resp) == GH_OK &&
	    json_object_object_get_ex(resp, "Item", &m) &&
	    json_object_object_length(m) > 0 &&
	    item_from(s, m, &item) == GH_OK) {
		rc = gh_store_item_expired(item, gh_store_now());
		*v = version_of(item);
	}
	json_object_put(item);
	json_object_put(resp);
	json_object_put(req);
	return rc;
}

static enum gh_err
update_once(struct gh_store *s, enum gh_table t, const char *pk,
    const char *sk, const struct gh_update *u, const struct gh_cond *cond,
    json_object **out)
{
	json_object	*req, *resp = NULL, *m, *av, *item = NULL;
	struct expr	 e;
	const char	*ctext;
	char		 n[24], v[24];
	FILE		*f = NULL;
	char		*text = NULL;
	size_t		 len, i;
	int		 first;
	enum gh_err	 err = GH_ERR_NOMEM;

	if ((req = req_new(s, t)) == NULL)
		return GH_ERR_NOMEM;
	if (expr_init(&e) != GH_OK)
		goto out;
	if (json_object_object_add(req, "Key", key_of(pk, sk)) != 0)
		goto out;
	if ((f = open_memstream(&text, &len)) == NULL)
		goto out;
	first = 1;
	if (u->set != NULL) {
		json_object_object_foreach(u->set, k, val) {
			if ((err = to_av(val, &av, 0)) != GH_OK ||
			    (err = expr_name(&e, k, n, sizeof(n))) != GH_OK ||
			    (err = expr_value(&e, av, v, sizeof(v))) != GH_OK)
				goto out;
			fprintf(f, "%s%s = %s", first ? "SET " : ", ", n, v);
			first = 0;
		}
	}
	if (u->nremove > 0) {
		for (i = 0; i < u->nremove; i++) {
			if ((err = expr_name(&e, u->remove[i], n, sizeof(n))) !=
			    GH_OK)
				goto out;
			fprintf(f, "%s%s", i == 0 ? " REMOVE " : ", ", n);
		}
	}
	err = GH_ERR_NOMEM;
	if (expr_fixed_name(&e, "#ver", "version") != GH_OK ||
	    expr_fixed_value(&e, ":one", av_n(1)) != GH_OK)
		goto out;
	fprintf(f, " ADD #ver :one");
	if (u->add != NULL) {
		json_object_object_foreach(u->add, k, val) {
			if ((err = expr_name(&e, k, n, sizeof(n))) != GH_OK ||
			    (err = expr_value(&e, av_n(json_object_get_int64(
			    val)), v, sizeof(v))) != GH_OK)
				goto out;
			fprintf(f, ", %s %s", n, v);
		}
	}
	if (fclose(f) != 0) {
		f = NULL;
		err = GH_ERR_NOMEM;
		goto out;
	}
	f = NULL;
	if ((err = cond_text(&e, cond, gh_store_now(), &ctext)) != GH_OK)
		goto out;
	/* NOT_EXISTS over an expired item: not here (see ddb_update). */
	if (cond->type == GH_COND_NOT_EXISTS) {
		ctext = "attribute_not_exists(#pk)";
		json_object_object_del(e.names, "#exp");
		json_object_object_del(e.values, ":now");
	}
	err = GH_ERR_NOMEM;
	if (add_str(req, "UpdateExpression", text) != 0 ||
	    add_str(req, "ConditionExpression", ctext) != 0 ||
	    add_str(req, "ReturnValues", "ALL_NEW") != 0 ||
	    expr_attach(&e, req) != GH_OK)
		goto out;
	if ((err = not_table(s, ddb_call(s, "UpdateItem", req, &resp))) !=
	    GH_OK)
		goto out;
	if (!json_object_object_get_ex(resp, "Attributes", &m)) {
		err = gh_store_fail(s, GH_ERR_STORE,
		    "dynamodb: UpdateItem returned no attributes");
		goto out;
	}
	if ((err = item_from(s, m, &item)) != GH_OK)
		goto out;
	if (out != NULL) {
		*out = item;
		item = NULL;
	}
out:
	if (f != NULL)
		fclose(f);
	free(text);
	json_object_put(item);
	json_object_put(resp);
	json_object_put(req);
	expr_free(&e);
	return err;
}

static enum gh_err
ddb_update(struct gh_store *s, enum gh_table t, const char *pk,
    const char *sk, const struct gh_update *u, const struct gh_cond *cond,
    json_object **out)
{
	enum gh_err	 err = GH_ERR_CONFLICT;
	int64_t		 v;
	int		 round, x;

	for (round = 0; round < DDB_WRITE_LOOPS; round++) {
		err = update_once(s, t, pk, sk, u, cond, out);
		if (err != GH_ERR_CONFLICT ||
		    (cond->type != GH_COND_NONE &&
		    cond->type != GH_COND_NOT_EXISTS))
			return err;
		/* Failed on an expired item?  Drop it and start anew. */
		x = peek_expired(s, t, pk, sk, &v);
		if (x == 0)
			return GH_ERR_CONFLICT;	/* a live item: real conflict */
		if (x == 1)
			drop_expired(s, t, pk, sk, v);
		/* x == -1: gone meanwhile, try again */
	}
	return err;
}

static enum gh_err
ddb_del(struct gh_store *s, enum gh_table t, const char *pk, const char *sk,
    const struct gh_cond *cond, json_object **out)
{
	json_object	*req, *resp = NULL, *m, *item = NULL;
	struct gh_cond	 c = *cond;
	struct expr	 e;
	const char	*ctext;
	enum gh_err	 err = GH_ERR_NOMEM;

	if ((req = req_new(s, t)) == NULL)
		return GH_ERR_NOMEM;
	if (expr_init(&e) != GH_OK)
		goto out;
	if (c.type == GH_COND_NONE)
		c.type = GH_COND_EXISTS;	/* absent and expired: NOTFOUND */
	if (json_object_object_add(req, "Key", key_of(pk, sk)) != 0)
		goto out;
	if ((err = cond_text(&e, &c, gh_store_now(), &ctext)) != GH_OK)
		goto out;
	err = GH_ERR_NOMEM;
	if (add_str(req, "ConditionExpression", ctext) != 0 ||
	    add_str(req, "ReturnValues", "ALL_OLD") != 0 ||
	    expr_attach(&e, req) != GH_OK)
		goto out;
	err = not_table(s, ddb_call(s, "DeleteItem", req, &resp));
	if (err == GH_ERR_CONFLICT) {
		/* Absent, expired, or (VERSION) another version? */
		if (c.type == GH_COND_VERSION &&
		    ddb_getitem(s, t, pk, sk, "#pk, #ver, #exp", &item) ==
		    GH_OK)
			err = gh_store_fail(s, GH_ERR_CONFLICT,
			    "dynamodb: delete: another version");
		else
			err = GH_ERR_NOTFOUND;
		goto out;
	}
	if (err != GH_OK)
		goto out;
	if (!json_object_object_get_ex(resp, "Attributes", &m)) {
		err = gh_store_fail(s, GH_ERR_STORE,
		    "dynamodb: DeleteItem returned no attributes");
		goto out;
	}
	if (out != NULL) {
		if ((err = item_from(s, m, &item)) != GH_OK)
			goto out;
		*out = item;
		item = NULL;
	}
out:
	json_object_put(item);
	json_object_put(resp);
	json_object_put(req);
	expr_free(&e);
	return err;
}

/* The key attributes of an index query's cursor as an ExclusiveStartKey. */
static json_object *
start_key(const struct gh_query *q, const struct gh_cursor *c)
{
	json_object	*k;

	if ((k = key_of(c->pk, c->sk)) == NULL)
		return NULL;
	if (q->index != GH_INDEX_BASE &&
	    (json_object_object_add(k, gh_index_pk[q->index], av_s(c->ipk)) !=
	    0 || json_object_object_add(k, gh_index_sk[q->index],
	    av_s(c->isk)) != 0)) {
		json_object_put(k);
		return NULL;
	}
	return k;
}

static enum gh_err
lek_str(json_object *lek, const char *name, char **out)
{
	json_object	*av, *v;

	if (!json_object_object_get_ex(lek, name, &av) ||
	    !json_object_object_get_ex(av, "S", &v) ||
	    !json_object_is_type(v, json_type_string))
		return GH_ERR_STORE;
	if ((*out = strdup(json_object_get_string(v))) == NULL)
		return GH_ERR_NOMEM;
	return GH_OK;
}

static enum gh_err
ddb_query(struct gh_store *s, const struct gh_query *q,
    const struct gh_cursor *start, json_object **items,
    struct gh_cursor *last, int *more)
{
	json_object	*req, *resp = NULL, *arr = NULL, *list, *lek, *item;
	struct expr	 e;
	char		 kc[160], v1[24], v2[24], vp[24];
	const char	*op;
	int64_t		 now = gh_store_now();
	size_t		 i, n;
	enum gh_err	 err = GH_ERR_NOMEM;

	if ((req = req_new(s, q->table)) == NULL)
		return GH_ERR_NOMEM;
	if (expr_init(&e) != GH_OK)
		goto out;
	if (q->index != GH_INDEX_BASE &&
	    add_str(req, "IndexName", gh_index_names[q->index]) != 0)
		goto out;
	if (expr_fixed_name(&e, "#k", gh_index_pk[q->index]) != GH_OK ||
	    expr_fixed_name(&e, "#s", gh_index_sk[q->index]) != GH_OK ||
	    expr_fixed_name(&e, "#exp", "expires_at") != GH_OK ||
	    expr_fixed_value(&e, ":now", av_n(now)) != GH_OK ||
	    expr_value(&e, av_s(q->pk), vp, sizeof(vp)) != GH_OK)
		goto out;
	if (q->skop != GH_SK_ANY &&
	    expr_value(&e, av_s(q->sk1), v1, sizeof(v1)) != GH_OK)
		goto out;
	if (q->skop == GH_SK_BETWEEN &&
	    expr_value(&e, av_s(q->sk2), v2, sizeof(v2)) != GH_OK)
		goto out;
	op = NULL;
	switch (q->skop) {
	case GH_SK_EQ: op = "="; break;
	case GH_SK_LT: op = "<"; break;
	case GH_SK_LE: op = "<="; break;
	case GH_SK_GT: op = ">"; break;
	case GH_SK_GE: op = ">="; break;
	default: break;
	}
	if (op != NULL)
		snprintf(kc, sizeof(kc), "#k = %s AND #s %s %s", vp, op, v1);
	else if (q->skop == GH_SK_BEGINS)
		snprintf(kc, sizeof(kc), "#k = %s AND begins_with(#s, %s)", vp,
		    v1);
	else if (q->skop == GH_SK_BETWEEN)
		snprintf(kc, sizeof(kc), "#k = %s AND #s BETWEEN %s AND %s",
		    vp, v1, v2);
	else {
		snprintf(kc, sizeof(kc), "#k = %s", vp);
		/* #s unused: DynamoDB refuses unused names. */
		json_object_object_del(e.names, "#s");
	}
	if (add_str(req, "KeyConditionExpression", kc) != 0 ||
	    add_str(req, "FilterExpression", LIVE) != 0 ||
	    json_object_object_add(req, "Limit",
	    json_object_new_int64((int64_t)q->limit)) != 0 ||
	    json_object_object_add(req, "ScanIndexForward",
	    json_object_new_boolean(!q->descending)) != 0 ||
	    expr_attach(&e, req) != GH_OK)
		goto out;
	if (q->index == GH_INDEX_BASE &&
	    json_object_object_add(req, "ConsistentRead",
	    json_object_new_boolean(1)) != 0)
		goto out;
	if (start != NULL &&
	    json_object_object_add(req, "ExclusiveStartKey",
	    start_key(q, start)) != 0)
		goto out;
	if ((err = not_table(s, ddb_call(s, "Query", req, &resp))) != GH_OK)
		goto out;
	err = GH_ERR_NOMEM;
	if ((arr = json_object_new_array()) == NULL)
		goto out;
	if (json_object_object_get_ex(resp, "Items", &list) &&
	    json_object_is_type(list, json_type_array)) {
		n = json_object_array_length(list);
		for (i = 0; i < n; i++) {
			if ((err = item_from(s, json_object_array_get_idx(list,
			    i), &item)) != GH_OK)
				goto out;
			if (gh_store_item_expired(item, now)) {
				json_object_put(item);
				continue;
			}
			if (json_object_array_add(arr, item) != 0) {
				json_object_put(item);
				err = GH_ERR_NOMEM;
				goto out;
			}
		}
	}
	*more = 0;
	if (json_object_object_get_ex(resp, "LastEvaluatedKey", &lek) &&
	    json_object_object_length(lek) > 0) {
		gh_cursor_clear(last);
		if ((err = lek_str(lek, "PK", &last->pk)) != GH_OK ||
		    (err = lek_str(lek, "SK", &last->sk)) != GH_OK)
			goto badlek;
		if (q->index != GH_INDEX_BASE &&
		    ((err = lek_str(lek, gh_index_pk[q->index], &last->ipk)) !=
		    GH_OK || (err = lek_str(lek, gh_index_sk[q->index],
		    &last->isk)) != GH_OK))
			goto badlek;
		*more = 1;
	}
	*items = arr;
	arr = NULL;
	err = GH_OK;
	goto out;
badlek:
	if (err != GH_ERR_NOMEM)
		err = gh_store_fail(s, GH_ERR_STORE,
		    "dynamodb: Query: unreadable LastEvaluatedKey");
out:
	json_object_put(arr);
	json_object_put(resp);
	json_object_put(req);
	expr_free(&e);
	return err;
}

static enum gh_err
ddb_batch_get(struct gh_store *s, enum gh_table t, const struct gh_key *keys,
    size_t n, json_object **out)
{
	struct ddb	*d = s->impl;
	json_object	*req = NULL, *ri, *tr, *kl, *resp = NULL, *arr, *r, *list;
	json_object	*item, *un, *ut;
	int64_t		 now = gh_store_now();
	size_t		 i, m;
	unsigned	 round;
	enum gh_err	 err = GH_ERR_NOMEM;

	if ((arr = json_object_new_array()) == NULL)
		return GH_ERR_NOMEM;
	if ((req = json_object_new_object()) == NULL ||
	    (ri = json_object_new_object()) == NULL ||
	    json_object_object_add(req, "RequestItems", ri) != 0 ||
	    (tr = json_object_new_object()) == NULL ||
	    json_object_object_add(ri, d->table[t], tr) != 0 ||
	    (kl = json_object_new_array()) == NULL ||
	    json_object_object_add(tr, "Keys", kl) != 0 ||
	    json_object_object_add(tr, "ConsistentRead",
	    json_object_new_boolean(1)) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if (json_object_array_add(kl, key_of(keys[i].pk, keys[i].sk)) !=
		    0)
			goto out;
	for (round = 0; ; round++) {
		json_object_put(resp);
		resp = NULL;
		if ((err = not_table(s, ddb_call(s, "BatchGetItem", req,
		    &resp))) != GH_OK)
			goto out;
		if (json_object_object_get_ex(resp, "Responses", &r) &&
		    json_object_object_get_ex(r, d->table[t], &list) &&
		    json_object_is_type(list, json_type_array)) {
			m = json_object_array_length(list);
			for (i = 0; i < m; i++) {
				if ((err = item_from(s,
				    json_object_array_get_idx(list, i),
				    &item)) != GH_OK)
					goto out;
				if (gh_store_item_expired(item, now)) {
					json_object_put(item);
					continue;
				}
				if (json_object_array_add(arr, item) != 0) {
					json_object_put(item);
					err = GH_ERR_NOMEM;
					goto out;
				}
			}
		}
		if (!json_object_object_get_ex(resp, "UnprocessedKeys", &un) ||
		    !json_object_object_get_ex(un, d->table[t], &ut))
			break;
		if (round + 1 >= DDB_TRIES) {
			err = gh_store_fail(s, GH_ERR_THROTTLED, "dynamodb: "
			    "BatchGetItem: keys still unprocessed");
			goto out;
		}
		/* Ask again for what is left, after a pause. */
		err = GH_ERR_NOMEM;
		json_object_put(req);
		if ((req = json_object_new_object()) == NULL ||
		    json_object_object_add(req, "RequestItems",
		    json_object_get(un)) != 0)
			goto out;
		backoff(d, round);
	}
	*out = arr;
	arr = NULL;
	err = GH_OK;
out:
	json_object_put(arr);
	json_object_put(resp);
	json_object_put(req);
	return err;
}

/* ------------------------------------------------------------------ */
/* Open, close */

static void
ddb_close(struct gh_store *s)
{
	struct ddb	*d = s->impl;
	int		 i;

	if (d == NULL)
		return;
	if (d->curl != NULL && d->pid == getpid())
		curl_easy_cleanup(d->curl);
	free(d->url);
	free(d->host);
	free(d->region);
	for (i = 0; i < GH_TABLE__MAX; i++)
		free(d->table[i]);
	gh_awscreds_chain_free(d->creds);
	free(d->resp);
	free(d);
	s->impl = NULL;
}

static enum gh_err
ddb_open(struct gh_store *s, const struct gh_conf *conf)
{
	static int	 curl_ready;
	struct ddb	*d;
	const char	*ep, *region, *p, *e;
	size_t		 len;

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return gh_store_fail(s, GH_ERR_STORE,
			    "dynamodb: curl_global_init failed");
		curl_ready = 1;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return GH_ERR_NOMEM;
	s->impl = d;
	d->pid = getpid();
	d->tries = DDB_TRIES;
	d->seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	region = gh_conf_str(conf, GH_CONF_DYNAMODB_REGION);
	ep = gh_conf_str(conf, GH_CONF_DYNAMODB_ENDPOINT);
	if (region[0] == '\0')
		return gh_store_fail(s, GH_ERR_CONFIG,
		    "dynamodb: dynamodb_region is empty");
	if ((d->region = strdup(region)) == NULL)
		return GH_ERR_NOMEM;
	if (ep[0] == '\0') {
		if (asprintf(&d->url, "https://dynamodb.%s.amazonaws.com/",
		    region) < 0) {
			d->url = NULL;
			return GH_ERR_NOMEM;
		}
	} else {
		len = strlen(ep);
		while (len > 0 && ep[len - 1] == '/')
			len--;
		if (asprintf(&d->url, "%.*s/", (int)len, ep) < 0) {
			d->url = NULL;
			return GH_ERR_NOMEM;
		}
	}
	if (strncmp(d->url, "http://", 7) != 0 &&
	    strncmp(d->url, "https://", 8) != 0)
		return gh_store_fail(s, GH_ERR_CONFIG, "dynamodb: endpoint "
		    "\"%s\" is not an http(s) URL", ep);
	p = strstr(d->url, "://") + 3;
	e = strchr(p, '/');
	if (e == p || memchr(p, '@', (size_t)(e - p)) != NULL)
		return gh_store_fail(s, GH_ERR_CONFIG, "dynamodb: endpoint "
		    "\"%s\": no host", ep);
	if ((d->host = strndup(p, (size_t)(e - p))) == NULL)
		return GH_ERR_NOMEM;
	if (strcmp(e, "/") != 0)
		return gh_store_fail(s, GH_ERR_CONFIG, "dynamodb: endpoint "
		    "\"%s\" must have no path", ep);
	if ((d->table[GH_TABLE_MAIN] = strdup(gh_conf_str(conf,
	    GH_CONF_DYNAMODB_TABLE))) == NULL ||
	    (d->table[GH_TABLE_ORDERS] = strdup(gh_conf_str(conf,
	    GH_CONF_DYNAMODB_ORDERS_TABLE))) == NULL)
		return GH_ERR_NOMEM;
	if (d->table[0][0] == '\0' || d->table[1][0] == '\0' ||
	    strcmp(d->table[0], d->table[1]) == 0)
		return gh_store_fail(s, GH_ERR_CONFIG, "dynamodb: the two "
		    "table names must be set and differ");
	/* Fetched at the first request; what needs no network checked now. */
	if (gh_awscreds_chain_new(ep[0] != '\0' ? GH_AWSCREDS_STANDIN : 0,
	    &d->creds) != GH_OK)
		return GH_ERR_NOMEM;
	if (gh_awscreds_check(d->creds) != GH_OK)
		return gh_store_fail(s, GH_ERR_CONFIG, "dynamodb: %s",
		    gh_awscreds_errmsg(d->creds));
	if ((d->curl = curl_easy_init()) == NULL)
		return gh_store_fail(s, GH_ERR_STORE,
		    "dynamodb: curl_easy_init failed");
	curl_easy_setopt(d->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(d->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(d->curl, CURLOPT_WRITEDATA, d);
	curl_easy_setopt(d->curl, CURLOPT_TIMEOUT_MS, (long)DDB_TIMEOUT_MS);
	curl_easy_setopt(d->curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(d->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(d->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(d->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(d->curl, CURLOPT_NOPROXY, "*");
	gh_curl_ca_setup(d->curl);
	return GH_OK;
}

const struct gh_store_backend gh_store_dynamodb = {
	.name = "dynamodb",
	.open = ddb_open,
	.close = ddb_close,
	.ping = ddb_ping,
	.get = ddb_get,
	.put = ddb_put,
	.update = ddb_update,
	.del = ddb_del,
	.query = ddb_query,
	.batch_get = ddb_batch_get,
};

/* ------------------------------------------------------------------ */
/* Tables (bin/gatehouse dynamodb create-tables) */

static enum gh_err
create_one(struct gh_store *s, enum gh_table t)
{
	static const char *const attrs[] = {
		"PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK",
		"GSI3SK",
	};
	json_object	*req, *ad, *ks, *gsis, *g, *gks, *o;
	size_t		 i;
	int		 x;
	enum gh_err	 err = GH_ERR_NOMEM;

	if ((req = req_new(s, t)) == NULL)
		return GH_ERR_NOMEM;
	if ((ad = json_object_new_array()) == NULL ||
	    json_object_object_add(req, "AttributeDefinitions", ad) != 0)
		goto out;
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		if ((o = json_object_new_object()) == NULL ||
		    json_object_array_add(ad, o) != 0 ||
		    add_str(o, "AttributeName", attrs[i]) != 0 ||
		    add_str(o, "AttributeType", "S") != 0)
			goto out;
	}
	/* The base key and each GSI's: HASH then RANGE. */
	for (x = GH_INDEX_BASE; x < GH_INDEX__MAX; x++) {
		if ((ks = json_object_new_array()) == NULL)
			goto out;
		if (x == GH_INDEX_BASE) {
			if (json_object_object_add(req, "KeySchema", ks) != 0)
				goto out;
		} else {
			if ((gsis = json_object_object_get(req,
			    "GlobalSecondaryIndexes")) == NULL) {
				if ((gsis = json_object_new_array()) == NULL ||
				    json_object_object_add(req,
				    "GlobalSecondaryIndexes", gsis) != 0) {
					json_object_put(ks);
					goto out;
				}
			}
			if ((g = json_object_new_object()) == NULL ||
			    json_object_array_add(gsis, g) != 0 ||
			    add_str(g, "IndexName", gh_index_names[x]) != 0 ||
			    json_object_object_add(g, "KeySchema", ks) != 0 ||
			    (o = json_object_new_object()) == NULL ||
			    json_object_object_add(g, "Projection", o) != 0 ||
			    add_str(o, "ProjectionType", "ALL") != 0)
				goto out;
		}
		gks = ks;
		if ((o = json_object_new_object()) == NULL ||
		    json_object_array_add(gks, o) != 0 ||
		    add_str(o, "AttributeName", gh_index_pk[x]) != 0 ||
		    add_str(o, "KeyType", "HASH") != 0 ||
		    (o = json_object_new_object()) == NULL ||
		    json_object_array_add(gks, o) != 0 ||
		    add_str(o, "AttributeName", gh_index_sk[x]) != 0 ||
		    add_str(o, "KeyType", "RANGE") != 0)
			goto out;
	}
	if (add_str(req, "BillingMode", "PAY_PER_REQUEST") != 0)
		goto out;
	err = ddb_call(s, "CreateTable", req, NULL);
	if (err == GH_ERR_CONFLICT)	/* ResourceInUseException: exists */
		err = GH_OK;
out:
	json_object_put(req);
	return err;
}

/* 1 if the table and all its indexes are ACTIVE, 0 if not yet, -1 error. */
static int
table_active(struct gh_store *s, enum gh_table t)
{
	json_object	*req, *resp = NULL, *td, *v, *gl, *g;
	size_t		 i, n;
	int		 rc = -1;

	if ((req = req_new(s, t)) == NULL)
		return -1;
	if (ddb_call(s, "DescribeTable", req, &resp) != GH_OK)
		goto out;
	rc = 0;
	if (!json_object_object_get_ex(resp, "Table", &td) ||
	    !json_object_object_get_ex(td, "TableStatus", &v) ||
	    strcmp(json_object_get_string(v), "ACTIVE") != 0)
		goto out;
	if (json_object_object_get_ex(td, "GlobalSecondaryIndexes", &gl)) {
		n = json_object_array_length(gl);
		for (i = 0; i < n; i++) {
			g = json_object_array_get_idx(gl, i);
			if (json_object_object_get_ex(g, "IndexStatus", &v) &&
			    strcmp(json_object_get_string(v), "ACTIVE") != 0)
				goto out;
		}
	}
	rc = 1;
out:
	json_object_put(resp);
	json_object_put(req);
	return rc;
}

/*
 * TTL on expires_at.  dynalite has no UpdateTimeToLive (it answers
 * UnknownOperationException) and real DynamoDB refuses to enable it twice
 * (ValidationException): both are fine, since expiry never depends on TTL
 * (every read filters expired items); TTL only reclaims space.
 */
static void
enable_ttl(struct gh_store *s, enum gh_table t)
{
	json_object	*req, *spec;
	enum gh_err	 err;

	if ((req = req_new(s, t)) == NULL)
		return;
	if ((spec = json_object_new_object()) != NULL &&
	    json_object_object_add(req, "TimeToLiveSpecification", spec) == 0 &&
	    add_str(spec, "AttributeName", "expires_at") == 0 &&
	    json_object_object_add(spec, "Enabled",
	    json_object_new_boolean(1)) == 0) {
		err = ddb_call(s, "UpdateTimeToLive", req, NULL);
		if (err != GH_OK && strstr(s->errmsg, "already enabled") == NULL)
			fprintf(stderr, "gatehouse: TTL on %s not enabled "
			    "(%s); expired items are still absent to every "
			    "read\n", gh_table_names[t], s->errmsg);
	}
	json_object_put(req);
}

enum gh_err gh_dynamodb_create_tables(const struct gh_conf *, int);

enum gh_err
gh_dynamodb_create_tables(const struct gh_conf *conf, int wait)
{
	struct gh_store	 st;
	enum gh_err	 err;
	time_t		 t0;
	int		 t, a;

	memset(&st, 0, sizeof(st));
	st.be = &gh_store_dynamodb;
	if ((err = ddb_open(&st, conf)) != GH_OK)
		goto out;
	for (t = 0; t < GH_TABLE__MAX; t++)
		if ((err = create_one(&st, t)) != GH_OK)
			goto out;
	if (wait) {
		t0 = time(NULL);
		for (t = 0; t < GH_TABLE__MAX; t++) {
			while ((a = table_active(&st, t)) == 0 &&
			    time(NULL) - t0 < DDB_TABLE_WAIT)
				sleep_ms(200);
			if (a != 1) {
				err = a < 0 ? GH_ERR_STORE : GH_ERR_THROTTLED;
				if (a == 0)
					gh_store_fail(&st, err, "dynamodb: "
					    "table %s not active after %d s",
					    gh_table_names[t], DDB_TABLE_WAIT);
				goto out;
			}
		}
	}
	for (t = 0; t < GH_TABLE__MAX; t++)
		enable_ttl(&st, t);
	err = GH_OK;
out:
	if (err != GH_OK && st.errmsg[0] != '\0')
		fprintf(stderr, "gatehouse: %s\n", st.errmsg);
	if (st.impl != NULL)
		ddb_close(&st);
	return err;
}
