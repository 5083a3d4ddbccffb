/*
 * standin.h: the loopback stand-ins the HTTP unit tests start
 * (tests/ddb-fault-server.py, tests/imds-server.py: Python standard
 * library, each printing "PORT n" first), and a DynamoDB store pointed at
 * one.  Header-only, like tests.h.
 */
#ifndef GH_STANDIN_H
#define GH_STANDIN_H

#include <sys/types.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "gh_conf.h"
#include "gh_store.h"

/*
 * Starts "python3 script a1 a2 a3" (a2, a3 may be NULL) in the background:
 * *pid its process, url "http://127.0.0.1:PORT".  0, or -1 if it did not
 * say its port.
 */
static inline int
standin_start(const char *script, const char *a1, const char *a2,
    const char *a3, pid_t *pid, char *url, size_t size)
{
	int	 fds[2], port;
	char	 line[64];
	FILE	*f;

	if (pipe(fds) != 0 || (*pid = fork()) == -1)
		return -1;
	if (*pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execlp("python3", "python3", script, a1, a2, a3, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	if ((f = fdopen(fds[0], "r")) == NULL)
		return -1;
	if (fgets(line, sizeof(line), f) == NULL ||
	    sscanf(line, "PORT %d", &port) != 1) {
		fclose(f);
		return -1;
	}
	fclose(f);
	snprintf(url, size, "http://127.0.0.1:%d", port);
	return 0;
}

static inline void
standin_stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
}

/*
 * A DynamoDB store (region eu-west-3) on endpoint ("": AWS's own) whose
 * tables are name and name-o, its configuration written to dir/ and
 * removed.  NULL if it does not open (gh_store_errmsg(NULL) says why).
 */
static inline struct gh_store *
standin_store(const char *dir, const char *endpoint, const char *name)
{
	struct gh_conf	*conf = NULL;
	struct gh_store	*s = NULL;
	const char	*msg = NULL;
	char		 path[128];
	FILE		*f;

	snprintf(path, sizeof(path), "%s/gatehouse.conf", dir);
	if ((f = fopen(path, "w")) == NULL)
		return NULL;
	fprintf(f, "store = dynamodb\n%s%s\ndynamodb_region = eu-west-3\n"
	    "dynamodb_table = %s\ndynamodb_orders_table = %s-o\n",
	    endpoint[0] != '\0' ? "dynamodb_endpoint = " : "", endpoint, name,
	    name);
	fclose(f);
	if (gh_conf_load(path, 0, &conf, &msg) != GH_OK) {
		fprintf(stderr, "conf: %s\n", msg ? msg : "?");
		unlink(path);
		return NULL;
	}
	if (gh_store_open(conf, &s) != GH_OK)
		s = NULL;
	gh_conf_free(conf);
	unlink(path);
	return s;
}

/* Seconds on the monotonic clock, for timing a call. */
static inline double
standin_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif /* GH_STANDIN_H */
