/*
 * gatehouse.c: the admin tool, bin/gatehouse.
 *
 * Works on the configured store and key directory, like the FastCGI
 * programs: the configuration is -c FILE, else $GATEHOUSE_CONFIG, else
 * var/gatehouse.conf.  Each subcommand is a row of the command table with
 * its usage and handler; every handler answers --help, prints errors on
 * stderr and returns an exit status: 0 success, 1 failure, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gh_admin.h"
#include "gh_conf.h"
#include "gh_crypto.h"
#include "gh_keys.h"
#include "gh_store.h"

#define EX_OK		0
#define EX_FAIL		1
#define EX_USAGE	2

struct ctx {
	const char	*conf_path;
	struct gh_conf	*conf;
	struct gh_store	*store;
};

struct cmd {
	const char	*name;		/* "app add" */
	const char	*args;		/* usage after the name */
	const char	*help;		/* one paragraph */
	int		 needs_store;
	int		(*run)(struct ctx *, int, char **);
};

static int cmd_init(struct ctx *, int, char **);
static int cmd_keys_rotate(struct ctx *, int, char **);
static int cmd_seed_demo(struct ctx *, int, char **);
static int cmd_app_add(struct ctx *, int, char **);
static int cmd_app_list(struct ctx *, int, char **);
static int cmd_user_list(struct ctx *, int, char **);
static int cmd_user_set_role(struct ctx *, int, char **);
static int cmd_user_set_status(struct ctx *, int, char **);
static int cmd_dynamodb_create(struct ctx *, int, char **);

static const struct cmd cmds[] = {
	{ "init", "[--public-url URL]",
	  "Creates what a first start needs, idempotently: the configuration file "
	  "(with a new user pool id and app client id), the directories, the store "
	  "(schema or tables), the signing keys (mode 0600) and, on an empty store, "
	  "the demo data. With --public-url, sets the base URL users reach (it is "
	  "the tokens' issuer and the demo applications' return URL).",
	  0, cmd_init },
	{ "keys rotate", "",
	  "Makes a new signing key current; the previous one stays published in the "
	  "JWKS so tokens it signed keep verifying until they expire.",
	  0, cmd_keys_rotate },
	{ "seed-demo", "",
	  "Creates or refreshes the demo data: the applications 'marketplace' and "
	  "'support' (channel 'web', return URLs under public_url) and a few "
	  "published solutions. No demo user gets a known password.",
	  1, cmd_seed_demo },
	{ "app add", "ID --name NAME --channel CHANNEL=RETURN_URL [--channel ...] "
	  "[--enrollment open|closed]",
	  "Registers an application (or replaces its name, channels and enrollment "
	  "policy). Return URLs must be absolute http(s) URLs; they are matched "
	  "exactly.",
	  1, cmd_app_add },
	{ "app list", "",
	  "Lists the registered applications with their channels.",
	  1, cmd_app_list },
	{ "user list", "[--role ROLE] [--status STATUS]",
	  "Lists users' profiles, one a line: e-mail, role, status, user id "
	  "(tab-separated), optionally only one role or status.",
	  1, cmd_user_list },
	{ "user set-role", "EMAIL ROLE",
	  "Sets a user's role: customer, partner or admin. This is the only way to "
	  "make an admin. Takes effect on the user's next request.",
	  1, cmd_user_set_role },
	{ "user set-status", "EMAIL active|suspended",
	  "Suspends or reactivates a user: a suspended user is refused everywhere "
	  "and cannot sign in.",
	  1, cmd_user_set_status },
	{ "dynamodb create-tables", "",
	  "Creates the DynamoDB tables and indexes if missing and waits until they "
	  "are active (store = dynamodb).",
	  0, cmd_dynamodb_create },
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: gatehouse [-c FILE] COMMAND [ARGS] (--help on any command)\n\n"
	    "commands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %s %s\n", cmds[i].name, cmds[i].args);
	fprintf(f, "\nThe configuration is -c FILE, else $GATEHOUSE_CONFIG, else "
	    "var/gatehouse.conf.\n");
}

static int
wants_help(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

static int
open_store(struct ctx *c)
{
	enum gh_err err;

	if (c->store != NULL)
		return 1;
	if ((err = gh_store_open(c->conf, &c->store)) != GH_OK) {
		fprintf(stderr, "gatehouse: store: %s%s%s\n", gh_strerror(err),
		    c->store ? ": " : "", c->store ? gh_store_errmsg(c->store) : "");
		c->store = NULL;
		return 0;
	}
	return 1;
}

static int
load_conf(struct ctx *c, int allow_missing)
{
	const char *msg = NULL;

	if (gh_conf_load(c->conf_path, allow_missing, &c->conf, &msg) != GH_OK) {
		fprintf(stderr, "gatehouse: configuration: %s\n", msg);
		return 0;
	}
	return 1;
}

/* n uniformly random characters of alphabet into out (NUL-terminated). */
static int
random_word(char *out, size_t n, const char *alphabet)
{
	unsigned char	b;
	size_t		i = 0, na = strlen(alphabet);
	unsigned	limit = 256 - 256 % na;	/* rejection sampling: no bias */

	while (i < n) {
		if (gh_random_bytes(&b, 1) != GH_OK)
			return 0;
		if (b < limit)
			out[i++] = alphabet[b % na];
	}
	out[n] = '\0';
	return 1;
}

static int
mkdir_p(const char *path, mode_t mode)
{
	char	tmp[PATH_MAX], *p;

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return 0;
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			return 0;
		*p = '/';
	}
	return mkdir(tmp, mode) == 0 || errno == EEXIST;
}

static int
cmd_init(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "public-url", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	const char	*url = NULL, *path;
	char		 word[32], dir[PATH_MAX];
	struct gh_keys	*keys = NULL;
	int		 ch, dirty = 0, rc = EX_FAIL;
	size_t		 n = 0;
	enum gh_err	 err;
	struct stat	 st;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'u')
			return EX_USAGE;
		url = optarg;
	}
	if (optind != argc)
		return EX_USAGE;
	if (url != NULL) {
		n = strlen(url);
		while (n > 0 && url[n - 1] == '/')
			n--;
		if (n < 8 || (strncmp(url, "http://", 7) != 0 &&
		    strncmp(url, "https://", 8) != 0)) {
			fprintf(stderr, "gatehouse init: --public-url must be an http(s) URL\n");
			return EX_USAGE;
		}
	}
	path = c->conf_path ? c->conf_path : getenv("GATEHOUSE_CONFIG");
	if (path == NULL || *path == '\0')
		path = "var/gatehouse.conf";
	snprintf(dir, sizeof(dir), "%s", path);
	if (strrchr(dir, '/') != NULL) {
		*strrchr(dir, '/') = '\0';
		if (*dir != '\0' && !mkdir_p(dir, 0755)) {
			fprintf(stderr, "gatehouse init: %s: %s\n", dir, strerror(errno));
			return EX_FAIL;
		}
	}
	c->conf_path = path;
	if (!load_conf(c, 1))
		return EX_FAIL;
	if (stat(path, &st) != 0)
		dirty = 1;
	if (*gh_conf_str(c->conf, GH_CONF_USER_POOL_ID) == '\0') {
		char id[64];
		if (!random_word(word, 9, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))
			goto out;
		snprintf(id, sizeof(id), "%s_%s", gh_conf_str(c->conf, GH_CONF_REGION), word);
		gh_conf_set(c->conf, GH_CONF_USER_POOL_ID, id);
		dirty = 1;
	}
	if (*gh_conf_str(c->conf, GH_CONF_CLIENT_ID) == '\0') {
		if (!random_word(word, 26, "abcdefghijklmnopqrstuvwxyz0123456789"))
			goto out;
		gh_conf_set(c->conf, GH_CONF_CLIENT_ID, word);
		dirty = 1;
	}
	if (url != NULL && (strlen(gh_conf_str(c->conf, GH_CONF_PUBLIC_URL)) != n ||
	    strncmp(gh_conf_str(c->conf, GH_CONF_PUBLIC_URL), url, n) != 0)) {
		char tmp[2048];
		snprintf(tmp, sizeof(tmp), "%.*s", (int)n, url);
		if (gh_conf_set(c->conf, GH_CONF_PUBLIC_URL, tmp) != GH_OK)
			goto out;
		dirty = 1;
	}
	if (dirty) {
		if ((err = gh_conf_write(c->conf, path)) != GH_OK) {
			fprintf(stderr, "gatehouse init: writing %s: %s\n", path, gh_strerror(err));
			goto out;
		}
		printf("gatehouse: wrote %s\n", path);
	}
	if (!mkdir_p(gh_conf_str(c->conf, GH_CONF_MAIL_DIR), 0700) ||
	    gh_mkdir_private(gh_conf_str(c->conf, GH_CONF_KEYS_DIR)) != GH_OK) {
		fprintf(stderr, "gatehouse init: cannot create the mail or keys directory\n");
		goto out;
	}
	snprintf(dir, sizeof(dir), "%s/run", gh_conf_dir(c->conf));
	mkdir_p(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/log", gh_conf_dir(c->conf));
	mkdir_p(dir, 0700);
	if ((err = gh_keys_load(gh_conf_str(c->conf, GH_CONF_KEYS_DIR), GH_KEYS_CREATE,
	    &keys)) != GH_OK) {
		fprintf(stderr, "gatehouse init: signing keys: %s\n", gh_strerror(err));
		goto out;
	}
	if (strcmp(gh_conf_str(c->conf, GH_CONF_STORE), "dynamodb") == 0 &&
	    cmd_dynamodb_create(c, 0, NULL) != EX_OK)
		goto out;
	if (!open_store(c))
		goto out;
	if (gh_admin_demo_missing(c->store) || (url != NULL && dirty)) {
		if ((err = gh_admin_seed_demo(c->conf, c->store)) != GH_OK) {
			fprintf(stderr, "gatehouse init: demo data: %s: %s\n",
			    gh_strerror(err), gh_store_errmsg(c->store));
			goto out;
		}
		printf("gatehouse: demo data ready (applications marketplace, support; the demo catalog)\n");
	}
	printf("gatehouse: ready: pool %s, client %s, issuer %s/idp/%s\n",
	    gh_conf_str(c->conf, GH_CONF_USER_POOL_ID),
	    gh_conf_str(c->conf, GH_CONF_CLIENT_ID),
	    gh_conf_str(c->conf, GH_CONF_PUBLIC_URL),
	    gh_conf_str(c->conf, GH_CONF_USER_POOL_ID));
	rc = EX_OK;
out:
	gh_keys_free(keys);
	return rc;
}

static int
cmd_keys_rotate(struct ctx *c, int argc, char **argv)
{
	char		kid[GH_KID_LEN];
	enum gh_err	err;

	(void)argv;
	if (argc != 1)
		return EX_USAGE;
	if ((err = gh_keys_rotate(gh_conf_str(c->conf, GH_CONF_KEYS_DIR), 0, kid)) != GH_OK) {
		fprintf(stderr, "gatehouse keys rotate: %s\n", gh_strerror(err));
		return EX_FAIL;
	}
	printf("new current key %s (the previous key stays published)\n", kid);
	return EX_OK;
}

static int
cmd_seed_demo(struct ctx *c, int argc, char **argv)
{
	enum gh_err err;

	(void)argv;
	if (argc != 1)
		return EX_USAGE;
	if ((err = gh_admin_seed_demo(c->conf, c->store)) != GH_OK) {
		fprintf(stderr, "gatehouse seed-demo: %s: %s\n", gh_strerror(err),
		    gh_store_errmsg(c->store));
		return EX_FAIL;
	}
	printf("demo data ready\n");
	return EX_OK;
}

static int
cmd_app_add(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "channel", required_argument, NULL, 'c' },
		{ "enrollment", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	const char	*name = NULL, *enrollment = "open", *chan[16];
	size_t		 nchan = 0;
	int		 ch;
	enum gh_err	 err;
	char		 msg[256];

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			name = optarg;
			break;
		case 'c':
			if (nchan == sizeof(chan) / sizeof(chan[0])) {
				fprintf(stderr, "gatehouse app add: too many channels\n");
				return EX_USAGE;
			}
			chan[nchan++] = optarg;
			break;
		case 'e':
			enrollment = optarg;
			break;
		default:
			return EX_USAGE;
		}
	}
	if (optind != argc - 1 || name == NULL || nchan == 0)
		return EX_USAGE;
	msg[0] = '\0';
	err = gh_admin_app_add(c->store, argv[optind], name, chan, nchan,
	    enrollment, msg, sizeof(msg));
	if (err != GH_OK) {
		fprintf(stderr, "gatehouse app add: %s\n", msg[0] ? msg : gh_strerror(err));
		return err == GH_ERR_INVAL ? EX_USAGE : EX_FAIL;
	}
	printf("application %s saved\n", argv[optind]);
	return EX_OK;
}

static int
cmd_app_list(struct ctx *c, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return EX_USAGE;
	return gh_admin_app_list(c->store, stdout) == GH_OK ? EX_OK : EX_FAIL;
}

static int
cmd_user_list(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "status", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char	*role = NULL, *status = NULL;
	int		 ch;
	enum gh_err	 err;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'r')
			role = optarg;
		else if (ch == 's')
			status = optarg;
		else
			return EX_USAGE;
	}
	if (optind != argc)
		return EX_USAGE;
	if (role != NULL && strcmp(role, "customer") != 0 &&
	    strcmp(role, "partner") != 0 && strcmp(role, "admin") != 0) {
		fprintf(stderr, "gatehouse user list: --role must be customer, partner or admin\n");
		return EX_USAGE;
	}
	if (status != NULL && strcmp(status, "active") != 0 &&
	    strcmp(status, "suspended") != 0) {
		fprintf(stderr, "gatehouse user list: --status must be active or suspended\n");
		return EX_USAGE;
	}
	if ((err = gh_admin_user_list(c->store, role, status, stdout)) != GH_OK) {
		fprintf(stderr, "gatehouse user list: %s: %s\n", gh_strerror(err),
		    gh_store_errmsg(c->store));
		return err == GH_ERR_INVAL ? EX_USAGE : EX_FAIL;
	}
	return EX_OK;
}

static int
set_user(struct ctx *c, int argc, char **argv, const char *what)
{
	enum gh_err	err;
	char		msg[256];

	if (argc != 3)
		return EX_USAGE;
	msg[0] = '\0';
	err = gh_admin_user_set(c->store, argv[1], what, argv[2], msg, sizeof(msg));
	if (err != GH_OK) {
		fprintf(stderr, "gatehouse user set-%s: %s\n", what,
		    msg[0] ? msg : err == GH_ERR_STORE || err == GH_ERR_THROTTLED ?
		    gh_store_errmsg(c->store) : gh_strerror(err));
		return err == GH_ERR_INVAL ? EX_USAGE : EX_FAIL;
	}
	printf("%s of %s is now %s\n", what, argv[1], argv[2]);
	return EX_OK;
}

static int
cmd_user_set_role(struct ctx *c, int argc, char **argv)
{
	return set_user(c, argc, argv, "role");
}

static int
cmd_user_set_status(struct ctx *c, int argc, char **argv)
{
	return set_user(c, argc, argv, "status");
}

static int
cmd_dynamodb_create(struct ctx *c, int argc, char **argv)
{
	enum gh_err err;

	(void)argv;
	if (argc > 1)
		return EX_USAGE;
	if ((err = gh_admin_dynamodb_create(c->conf)) != GH_OK) {
		fprintf(stderr, "gatehouse dynamodb create-tables: %s\n", gh_strerror(err));
		return EX_FAIL;
	}
	printf("DynamoDB tables ready\n");
	return EX_OK;
}

int
main(int argc, char **argv)
{
	struct ctx	 c;
	const struct cmd *cmd = NULL;
	size_t		 i, words;
	int		 rc = EX_USAGE, a = 1;

	memset(&c, 0, sizeof(c));
	if (a + 1 < argc && strcmp(argv[a], "-c") == 0) {
		c.conf_path = argv[a + 1];
		a += 2;
	}
	if (a >= argc || strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
		usage(a >= argc ? stderr : stdout);
		return a >= argc ? EX_USAGE : EX_OK;
	}
	/* Commands are one or two words ("init", "app add"). */
	for (i = 0; i < NCMDS && cmd == NULL; i++) {
		words = strchr(cmds[i].name, ' ') != NULL ? 2 : 1;
		if (words == 1 && strcmp(cmds[i].name, argv[a]) == 0)
			cmd = &cmds[i];
		else if (words == 2 && a + 1 < argc &&
		    strncmp(cmds[i].name, argv[a], strlen(argv[a])) == 0 &&
		    cmds[i].name[strlen(argv[a])] == ' ' &&
		    strcmp(cmds[i].name + strlen(argv[a]) + 1, argv[a + 1]) == 0) {
			cmd = &cmds[i];
			a++;
		}
	}
	if (cmd == NULL) {
		fprintf(stderr, "gatehouse: unknown command \"%s\"\n", argv[a]);
		usage(stderr);
		return EX_USAGE;
	}
	/* argv[a] is the command's last word: handlers see it as argv[0]. */
	argc -= a;
	argv += a;
	if (wants_help(argc, argv)) {
		printf("usage: gatehouse [-c FILE] %s %s\n\n%s\n", cmd->name, cmd->args,
		    cmd->help);
		return EX_OK;
	}
	if (cmd->run != cmd_init && !load_conf(&c, 0))
		return EX_FAIL;
	if (cmd->needs_store && !open_store(&c)) {
		rc = EX_FAIL;
		goto out;
	}
	rc = cmd->run(&c, argc, argv);
	if (rc == EX_USAGE)
		fprintf(stderr, "usage: gatehouse [-c FILE] %s %s\n", cmd->name, cmd->args);
out:
	gh_store_free(c.store);
	gh_conf_free(c.conf);
	return rc;
}
