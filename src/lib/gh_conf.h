/*
 * gh_conf.h: the configuration file.
 *
 * Format: one "key = value" per line; '#' starts a comment line; blank lines
 * ignored; whitespace around key and value trimmed; no quoting.  Every key is
 * declared in the table of conf.c with its type and default: an unknown key,
 * a duplicate or a value of the wrong type fails the load with a message
 * naming the line, so a typo never silently falls back to a default.
 *
 * Relative paths (GH_CT_PATH keys) are resolved against the directory of the
 * configuration file.  The FastCGI programs find the file through the
 * environment variable GATEHOUSE_CONFIG.  Some keys can be overridden by
 * environment variables (see conf.c) so that make run / make test can point
 * at another store or identity provider without rewriting the file.
 */
#ifndef GH_CONF_H
#define GH_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "gh_err.h"

enum gh_conf_key {
	GH_CONF_STORE = 0,		/* "sqlite" | "dynamodb" */
	GH_CONF_SQLITE_PATH,
	GH_CONF_SQLITE_BUSY_MS,
	GH_CONF_DYNAMODB_ENDPOINT,	/* empty = AWS's regional endpoint */
	GH_CONF_DYNAMODB_REGION,
	GH_CONF_DYNAMODB_TABLE,
	GH_CONF_DYNAMODB_ORDERS_TABLE,
	GH_CONF_PUBLIC_URL,		/* base URL users reach, no trailing / */
	GH_CONF_IDP,			/* "embedded" | "cognito" */
	GH_CONF_REGION,			/* the embedded pool's region label */
	GH_CONF_USER_POOL_ID,
	GH_CONF_CLIENT_ID,
	GH_CONF_COGNITO_REGION,
	GH_CONF_COGNITO_USER_POOL_ID,
	GH_CONF_COGNITO_CLIENT_ID,
	GH_CONF_COGNITO_ENDPOINT,	/* stand-in (cognito-local) base URL */
	GH_CONF_KEYS_DIR,
	GH_CONF_MAIL_MODE,		/* "file" | "smtp" */
	GH_CONF_MAIL_DIR,
	GH_CONF_MAIL_FROM,
	GH_CONF_SMTP_URL,		/* smtp://host:port or smtps:// */
	GH_CONF_SMTP_USER,
	GH_CONF_SMTP_PASSWORD,
	GH_CONF_SMTP_STARTTLS,		/* require STARTTLS on smtp:// */
	GH_CONF_MAX_BODY,		/* bytes of a request body */
	GH_CONF_JSON_MAX_DEPTH,
	GH_CONF_ID_TOKEN_TTL,		/* seconds */
	GH_CONF_ACCESS_TOKEN_TTL,
	GH_CONF_REFRESH_TOKEN_TTL,
	GH_CONF_SIGNUP_CODE_TTL,
	GH_CONF_RESET_CODE_TTL,
	GH_CONF_SESSION_TTL,
	GH_CONF_PASSWORD_MIN_LENGTH,
	GH_CONF_PASSWORD_LIST,		/* file of refused common passwords */
	GH_CONF_CORS_ORIGINS,		/* space-separated exact origins */
	GH_CONF_THROTTLE_IP_LIMIT,	/* failed auth calls per address ... */
	GH_CONF_THROTTLE_IP_WINDOW,	/* ... per this many seconds */
	GH_CONF_LOG_REQUESTS,		/* 1: one JSON line per request */
	GH_CONF_SMTP_CA_FILE,		/* CA bundle for the SMTP server's certificate */
	GH_CONF__MAX
};

enum gh_conf_type {
	GH_CT_STRING = 0,
	GH_CT_INT,		/* decimal, range-checked, >= 0 */
	GH_CT_BOOL,		/* 0/1, yes/no, true/false */
	GH_CT_PATH,		/* string, resolved relative to the file */
	GH_CT__MAX
};

struct gh_conf;

/* The key's name in the file ("store", "sqlite_path", ...). */
const char	*gh_conf_name(enum gh_conf_key k);

/*
 * Loads path (NULL: $GATEHOUSE_CONFIG, then "var/gatehouse.conf").  A missing
 * file is GH_ERR_CONFIG unless allow_missing, in which case the defaults are
 * used.  On failure *errmsg (if not NULL) gets a static or thread-unsafe
 * message buffer describing the problem.  *out owned; gh_conf_free.
 */
enum gh_err	 gh_conf_load(const char *path, int allow_missing,
		    struct gh_conf **out, const char **errmsg);
void		 gh_conf_free(struct gh_conf *c);	/* NULL ok */

/* Values; strings owned by c and never NULL ("" when empty). */
const char	*gh_conf_str(const struct gh_conf *c, enum gh_conf_key k);
int64_t		 gh_conf_int(const struct gh_conf *c, enum gh_conf_key k);
int		 gh_conf_bool(const struct gh_conf *c, enum gh_conf_key k);

/* The file the configuration came from (absolute), or "" for defaults. */
const char	*gh_conf_path(const struct gh_conf *c);
/* Its directory (absolute): var/ in a default install. */
const char	*gh_conf_dir(const struct gh_conf *c);

/* Sets a value in memory (tests, the admin tool); validated as on load. */
enum gh_err	 gh_conf_set(struct gh_conf *c, enum gh_conf_key k,
		    const char *value);

/*
 * Writes a configuration file with the current values of c to path,
 * atomically (temp file + rename), mode 0600 (it may hold SMTP secrets).
 */
enum gh_err	 gh_conf_write(const struct gh_conf *c, const char *path);

#endif /* GH_CONF_H */
