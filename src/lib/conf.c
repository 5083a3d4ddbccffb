/*
 * conf.c: the configuration file (see gh_conf.h for the format).
 *
 * The table below is the one place a key is declared: its name, type,
 * default and, for a few keys, the environment variable that overrides the
 * file (so make run / make test can switch store or identity provider
 * without rewriting var/gatehouse.conf).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gh_conf.h"

struct gh_conf_def {
	const char		*name;
	enum gh_conf_type	 type;
	const char		*def;
	const char		*env;	/* overriding environment variable */
	const char		*allowed; /* space-separated values, or NULL */
};

static const struct gh_conf_def defs[GH_CONF__MAX] = {
	[GH_CONF_STORE] = { "store", GH_CT_STRING, "sqlite", "GATEHOUSE_STORE", "sqlite dynamodb" },
	[GH_CONF_SQLITE_PATH] = { "sqlite_path", GH_CT_PATH, "gatehouse.db", NULL, NULL },
	[GH_CONF_SQLITE_BUSY_MS] = { "sqlite_busy_ms", GH_CT_INT, "5000", NULL, NULL },
	[GH_CONF_DYNAMODB_ENDPOINT] = { "dynamodb_endpoint", GH_CT_STRING, "", "DYNAMODB_ENDPOINT", NULL },
	[GH_CONF_DYNAMODB_REGION] = { "dynamodb_region", GH_CT_STRING, "us-east-1", "AWS_REGION", NULL },
	[GH_CONF_DYNAMODB_TABLE] = { "dynamodb_table", GH_CT_STRING, "gatehouse", "DYNAMODB_TABLE", NULL },
	[GH_CONF_DYNAMODB_ORDERS_TABLE] = { "dynamodb_orders_table", GH_CT_STRING, "gatehouse-orders", "DYNAMODB_ORDERS_TABLE", NULL },
	[GH_CONF_PUBLIC_URL] = { "public_url", GH_CT_STRING, "http://127.0.0.1:8080", NULL, NULL },
	[GH_CONF_IDP] = { "idp", GH_CT_STRING, "embedded", "GATEHOUSE_IDP", "embedded cognito" },
	[GH_CONF_REGION] = { "region", GH_CT_STRING, "us-east-1", NULL, NULL },
	[GH_CONF_USER_POOL_ID] = { "user_pool_id", GH_CT_STRING, "", NULL, NULL },
	[GH_CONF_CLIENT_ID] = { "client_id", GH_CT_STRING, "", NULL, NULL },
	[GH_CONF_COGNITO_REGION] = { "cognito_region", GH_CT_STRING, "", "COGNITO_REGION", NULL },
	[GH_CONF_COGNITO_USER_POOL_ID] = { "cognito_user_pool_id", GH_CT_STRING, "", "COGNITO_USER_POOL_ID", NULL },
	[GH_CONF_COGNITO_CLIENT_ID] = { "cognito_client_id", GH_CT_STRING, "", "COGNITO_CLIENT_ID", NULL },
	[GH_CONF_COGNITO_ENDPOINT] = { "cognito_endpoint", GH_CT_STRING, "", "COGNITO_ENDPOINT", NULL },
	[GH_CONF_KEYS_DIR] = { "keys_dir", GH_CT_PATH, "keys", NULL, NULL },
	[GH_CONF_MAIL_MODE] = { "mail_mode", GH_CT_STRING, "file", NULL, "file smtp" },
	[GH_CONF_MAIL_DIR] = { "mail_dir", GH_CT_PATH, "mail", NULL, NULL },
	[GH_CONF_MAIL_FROM] = { "mail_from", GH_CT_STRING, "gatehouse <no-reply@localhost>", NULL, NULL },
	[GH_CONF_SMTP_URL] = { "smtp_url", GH_CT_STRING, "", NULL, NULL },
	[GH_CONF_SMTP_USER] = { "smtp_user", GH_CT_STRING, "", NULL, NULL },
	[GH_CONF_SMTP_PASSWORD] = { "smtp_password", GH_CT_STRING, "", NULL, NULL },
	[GH_CONF_SMTP_STARTTLS] = { "smtp_starttls", GH_CT_BOOL, "yes", NULL, NULL },
	[GH_CONF_MAX_BODY] = { "max_body", GH_CT_INT, "65536", NULL, NULL },
	[GH_CONF_JSON_MAX_DEPTH] = { "json_max_depth", GH_CT_INT, "16", NULL, NULL },
	[GH_CONF_ID_TOKEN_TTL] = { "id_token_ttl", GH_CT_INT, "3600", NULL, NULL },
	[GH_CONF_ACCESS_TOKEN_TTL] = { "access_token_ttl", GH_CT_INT, "3600", NULL, NULL },
	[GH_CONF_REFRESH_TOKEN_TTL] = { "refresh_token_ttl", GH_CT_INT, "2592000", NULL, NULL },
	[GH_CONF_SIGNUP_CODE_TTL] = { "signup_code_ttl", GH_CT_INT, "86400", NULL, NULL },
	[GH_CONF_RESET_CODE_TTL] = { "reset_code_ttl", GH_CT_INT, "3600", NULL, NULL },
	[GH_CONF_SESSION_TTL] = { "session_ttl", GH_CT_INT, "120", NULL, NULL },
	[GH_CONF_PASSWORD_MIN_LENGTH] = { "password_min_length", GH_CT_INT, "8", NULL, NULL },
	[GH_CONF_PASSWORD_LIST] = { "password_list", GH_CT_STRING, "", NULL, NULL },
	[GH_CONF_CORS_ORIGINS] = { "cors_origins", GH_CT_STRING, "", NULL, NULL },
	[GH_CONF_THROTTLE_IP_LIMIT] = { "throttle_ip_limit", GH_CT_INT, "50", NULL, NULL },
	[GH_CONF_THROTTLE_IP_WINDOW] = { "throttle_ip_window", GH_CT_INT, "300", NULL, NULL },
	[GH_CONF_LOG_REQUESTS] = { "log_requests", GH_CT_BOOL, "yes", NULL, NULL },
	[GH_CONF_SMTP_CA_FILE] = { "smtp_ca_file", GH_CT_PATH, "", NULL, NULL },
};

struct gh_conf {
	char	*vals[GH_CONF__MAX];
	char	*filevals[GH_CONF__MAX];	/* before an environment override */
	int64_t	 ints[GH_CONF__MAX];
	char	 path[PATH_MAX];
	char	 dir[PATH_MAX];
};

static char errbuf[512];

const char *
gh_conf_name(enum gh_conf_key k)
{
	return (unsigned)k < GH_CONF__MAX ? defs[k].name : "?";
}

static int
word_in(const char *word, const char *list)
{
	size_t	 n = strlen(word);
	const char *p = list;

	while (*p != '\0') {
		size_t len = strcspn(p, " ");
		if (len == n && strncmp(p, word, n) == 0)
			return 1;
		p += len;
		while (*p == ' ')
			p++;
	}
	return 0;
}

/*
 * Parses and stores one value.  Paths are made absolute against the file's
 * directory.  Returns GH_ERR_CONFIG with errbuf set on a bad value.
 */
static enum gh_err
conf_assign(struct gh_conf *c, enum gh_conf_key k, const char *value)
{
	const struct gh_conf_def *d = &defs[k];
	char	*v = NULL, *end;
	long long n;

	if (strlen(value) != strcspn(value, "\r\n")) {
		snprintf(errbuf, sizeof(errbuf), "%s: line breaks not allowed", d->name);
		return GH_ERR_CONFIG;
	}
	switch (d->type) {
	case GH_CT_INT:
		errno = 0;
		n = strtoll(value, &end, 10);
		if (*value == '\0' || *end != '\0' || errno || n < 0 || n > INT32_MAX) {
			snprintf(errbuf, sizeof(errbuf), "%s: not a number in 0..%d: \"%s\"",
			    d->name, INT32_MAX, value);
			return GH_ERR_CONFIG;
		}
		c->ints[k] = n;
		v = strdup(value);
		break;
	case GH_CT_BOOL:
		if (word_in(value, "1 yes true on"))
			c->ints[k] = 1;
		else if (word_in(value, "0 no false off"))
			c->ints[k] = 0;
		else {
			snprintf(errbuf, sizeof(errbuf), "%s: not yes/no: \"%s\"", d->name, value);
			return GH_ERR_CONFIG;
		}
		v = strdup(c->ints[k] ? "yes" : "no");
		break;
	case GH_CT_PATH:
		if (value[0] == '/' || value[0] == '\0' || c->dir[0] == '\0')
			v = strdup(value);
		else if (asprintf(&v, "%s/%s", c->dir, value) < 0)
			v = NULL;
		break;
	default:
		if (d->allowed != NULL && !word_in(value, d->allowed)) {
			snprintf(errbuf, sizeof(errbuf), "%s: \"%s\" is not one of: %s",
			    d->name, value, d->allowed);
			return GH_ERR_CONFIG;
		}
		v = strdup(value);
		break;
	}
	if (v == NULL)
		return GH_ERR_NOMEM;
	free(c->vals[k]);
	c->vals[k] = v;
	return GH_OK;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static enum gh_err
conf_parse(struct gh_conf *c, FILE *f)
{
	char	 line[4096], *key, *val, *eq;
	int	 seen[GH_CONF__MAX] = { 0 };
	size_t	 lineno = 0;
	int	 k;
	enum gh_err err;

	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(errbuf, sizeof(errbuf), "line %zu: too long", lineno);
			return GH_ERR_CONFIG;
		}
		key = trim(line);
		if (*key == '\0' || *key == '#')
			continue;
		if ((eq = strchr(key, '=')) == NULL) {
			snprintf(errbuf, sizeof(errbuf), "line %zu: expected key = value", lineno);
			return GH_ERR_CONFIG;
		}
		*eq = '\0';
		key = trim(key);
		val = trim(eq + 1);
		for (k = 0; k < GH_CONF__MAX; k++)
			if (strcmp(defs[k].name, key) == 0)
				break;
		if (k == GH_CONF__MAX) {
			snprintf(errbuf, sizeof(errbuf), "line %zu: unknown key \"%.64s\"", lineno, key);
			return GH_ERR_CONFIG;
		}
		if (seen[k]++) {
			snprintf(errbuf, sizeof(errbuf), "line %zu: duplicate key \"%s\"", lineno, key);
			return GH_ERR_CONFIG;
		}
		if ((err = conf_assign(c, k, val)) != GH_OK) {
			if (err == GH_ERR_CONFIG) {
				char tmp[sizeof(errbuf)];
				snprintf(tmp, sizeof(tmp), "line %zu: %.400s", lineno, errbuf);
				memcpy(errbuf, tmp, sizeof(errbuf));
			}
			return err;
		}
	}
	if (ferror(f)) {
		snprintf(errbuf, sizeof(errbuf), "read error");
		return GH_ERR_IO;
	}
	return GH_OK;
}

enum gh_err
gh_conf_load(const char *path, int allow_missing, struct gh_conf **out,
    const char **errmsg)
{
	struct gh_conf	*c = NULL;
	FILE		*f = NULL;
	const char	*env;
	char		*slash;
	enum gh_err	 err = GH_OK;
	int		 k;

	errbuf[0] = '\0';
	if (path == NULL || *path == '\0')
		path = getenv("GATEHOUSE_CONFIG");
	if (path == NULL || *path == '\0')
		path = "var/gatehouse.conf";
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		err = GH_ERR_NOMEM;
		goto out;
	}
	if (realpath(path, c->path) == NULL) {
		/* Missing file: resolve its directory to anchor relative paths. */
		char tmp[PATH_MAX];
		if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp)) {
			err = GH_ERR_CONFIG;
			snprintf(errbuf, sizeof(errbuf), "path too long");
			goto out;
		}
		if ((slash = strrchr(tmp, '/')) != NULL)
			*slash = '\0';
		else
			strcpy(tmp, ".");
		if (realpath(tmp, c->dir) == NULL)
			c->dir[0] = '\0';
		else if (snprintf(c->path, sizeof(c->path), "%s/%s", c->dir,
		    slash ? slash + 1 : path) >= (int)sizeof(c->path))
			c->path[0] = '\0';
	} else {
		memcpy(c->dir, c->path, sizeof(c->dir));
		if ((slash = strrchr(c->dir, '/')) != NULL)
			*(slash == c->dir ? slash + 1 : slash) = '\0';
	}
	for (k = 0; k < GH_CONF__MAX; k++)
		if ((err = conf_assign(c, k, defs[k].def)) != GH_OK)
			goto out;
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && allow_missing)
			goto env;
		snprintf(errbuf, sizeof(errbuf), "%s: %s", path, strerror(errno));
		err = GH_ERR_CONFIG;
		goto out;
	}
	if ((err = conf_parse(c, f)) != GH_OK)
		goto out;
env:
	for (k = 0; k < GH_CONF__MAX; k++) {
		if (defs[k].env == NULL || (env = getenv(defs[k].env)) == NULL ||
		    *env == '\0')
			continue;
		/* Remember the file's value: gh_conf_write keeps it on disk. */
		if ((c->filevals[k] = strdup(gh_conf_str(c, k))) == NULL) {
			err = GH_ERR_NOMEM;
			goto out;
		}
		if ((err = conf_assign(c, k, env)) != GH_OK) {
			if (err == GH_ERR_CONFIG) {
				char tmp[sizeof(errbuf)];
				snprintf(tmp, sizeof(tmp), "environment %s: %.400s", defs[k].env, errbuf);
				memcpy(errbuf, tmp, sizeof(errbuf));
			}
			goto out;
		}
	}
	*out = c;
	c = NULL;
out:
	if (f != NULL)
		fclose(f);
	gh_conf_free(c);
	if (errmsg != NULL)
		*errmsg = err == GH_OK ? "" : (errbuf[0] ? errbuf : gh_strerror(err));
	return err;
}

void
gh_conf_free(struct gh_conf *c)
{
	int k;

	if (c == NULL)
		return;
	for (k = 0; k < GH_CONF__MAX; k++) {
		free(c->vals[k]);
		free(c->filevals[k]);
	}
	free(c);
}

const char *
gh_conf_str(const struct gh_conf *c, enum gh_conf_key k)
{
	if (c == NULL || (unsigned)k >= GH_CONF__MAX || c->vals[k] == NULL)
		return "";
	return c->vals[k];
}

int64_t
gh_conf_int(const struct gh_conf *c, enum gh_conf_key k)
{
	if (c == NULL || (unsigned)k >= GH_CONF__MAX)
		return 0;
	return c->ints[k];
}

int
gh_conf_bool(const struct gh_conf *c, enum gh_conf_key k)
{
	return gh_conf_int(c, k) != 0;
}

const char *
gh_conf_path(const struct gh_conf *c)
{
	return c != NULL ? c->path : "";
}

const char *
gh_conf_dir(const struct gh_conf *c)
{
	return c != NULL ? c->dir : "";
}

enum gh_err
gh_conf_set(struct gh_conf *c, enum gh_conf_key k, const char *value)
{
	if (c == NULL || (unsigned)k >= GH_CONF__MAX || value == NULL)
		return GH_ERR_INVAL;
	free(c->filevals[k]);	/* an explicit set is meant to be saved */
	c->filevals[k] = NULL;
	return conf_assign(c, k, value);
}

/* A path value as written back: relative to the file's directory if inside it. */
static const char *
rel_path(const struct gh_conf *c, const char *v)
{
	size_t n = strlen(c->dir);

	if (n > 0 && strncmp(v, c->dir, n) == 0 && v[n] == '/')
		return v + n + 1;
	return v;
}

enum gh_err
gh_conf_write(const struct gh_conf *c, const char *path)
{
	char	 tmp[PATH_MAX];
	FILE	*f = NULL;
	int	 fd = -1, k;
	enum gh_err err = GH_ERR_IO;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return GH_ERR_INVAL;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) == -1)
		goto out;
	if ((f = fdopen(fd, "w")) == NULL)
		goto out;
	fd = -1;
	fprintf(f, "# gatehouse configuration (see README.md, \"Configuration\").\n"
	    "# Relative paths are relative to this file's directory.\n");
	for (k = 0; k < GH_CONF__MAX; k++) {
		/* Environment overrides are for this run, not for the file. */
		const char *v = c->filevals[k] ? c->filevals[k] : gh_conf_str(c, k);
		if (defs[k].type == GH_CT_PATH)
			v = rel_path(c, v);
		fprintf(f, "%s = %s\n", defs[k].name, v);
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		goto out;
	if (fclose(f) != 0) {
		f = NULL;
		goto out;
	}
	f = NULL;
	if (rename(tmp, path) != 0)
		goto out;
	err = GH_OK;
out:
	if (f != NULL)
		fclose(f);
	if (fd != -1)
		close(fd);
	if (err != GH_OK)
		unlink(tmp);
	return err;
}
