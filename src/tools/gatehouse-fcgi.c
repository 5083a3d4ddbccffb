/*
 * gatehouse-fcgi: a fixed pool of FastCGI workers for web servers that do
 * not spawn them (Apache's mod_proxy_fcgi).
 *
 * For each program (every executable file of a directory, or the programs
 * named; a symbolic link counts under its own name), it creates a listening
 * unix socket <rundir>/<name>.sock and forks N
 * workers with that socket as fd 0, the FastCGI convention libfcgi expects
 * (FCGX_Accept on fd 0; the same as lighttpd's bin-path spawning).  Workers
 * inherit the environment, so GATEHOUSE_CONFIG reaches them (-c sets it).
 *
 * A worker that exits is restarted.  One that dies soon after its start is
 * restarted with an exponential backoff (100 ms doubling to 10 s, reset once
 * a worker has run for 10 s), so a crash loop costs little.  SIGTERM or
 * SIGINT stops every worker (SIGTERM, then SIGKILL after 5 s) and removes the
 * sockets; SIGHUP restarts every worker (new binaries after a deploy).
 * Workers get PR_SET_PDEATHSIG, so none outlives a killed supervisor.
 *
 * It stays in the foreground and logs one JSON line per event on stderr.
 * Why a fixed pool: mod_fcgid makes a request wait a full second when no
 * process is idle (p99 ~950 ms at 32 connections); mod_proxy_fcgi in front
 * of a fixed pool does not.  Apache must not reuse backend connections
 * (enablereuse=on produced 502s with libfcgi): apache.conf leaves it off.
 *
 * A systemd unit for a LAMP box is in src/scripts/gatehouse-fcgi.service.
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROGS	64
#define MAX_WORKERS	256
#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	10000
#define STABLE_MS	10000
#define STOP_GRACE_MS	5000

struct worker {
	pid_t		 pid;		/* 0: not running */
	int64_t		 started;	/* ms, monotonic */
	int64_t		 restart_at;	/* ms; when pid == 0 */
	int		 backoff;	/* ms of the next quick-death delay */
};

struct prog {
	char		 path[PATH_MAX];
	char		 name[NAME_MAX + 1];
	char		 sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int		 fd;
	int		 nworkers;
	struct worker	*workers;
};

struct pool {
	struct prog	 progs[MAX_PROGS];
	size_t		 nprogs;
	const char	*rundir;
	int		 nworkers;	/* default per program */
	gid_t		 gid;		/* socket group, or (gid_t)-1 */
	mode_t		 mode;		/* socket mode */
};

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * One JSON log line on stderr.  Values are program names, paths and numbers
 * chosen by the administrator; quotes and backslashes are still escaped.
 */
static void __attribute__((format(printf, 2, 3)))
logmsg(const char *level, const char *fmt, ...)
{
	char		 msg[1024], esc[2048], ts[32];
	size_t		 i, j;
	time_t		 t;
	struct tm	 tm;
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (i = j = 0; msg[i] != '\0' && j < sizeof(esc) - 2; i++) {
		if (msg[i] == '"' || msg[i] == '\\')
			esc[j++] = '\\';
		esc[j++] = (unsigned char)msg[i] < 0x20 ? ' ' : msg[i];
	}
	esc[j] = '\0';
	t = time(NULL);
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "{\"ts\":\"%s\",\"app\":\"gatehouse-fcgi\","
	    "\"level\":\"%s\",\"msg\":\"%s\"}\n", ts, level, esc);
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: gatehouse-fcgi [-c config] [-g group] [-m mode] [-n workers]\n"
	    "                      [-w name=workers ...] -s rundir dir|program ...\n"
	    "\n"
	    "  -s rundir   directory for the sockets <rundir>/<name>.sock\n"
	    "  -n N        workers per program (default 2)\n"
	    "  -w name=N   workers for one program (repeatable)\n"
	    "  -g group    socket group (the web server's); mode then 0660\n"
	    "  -m mode     socket mode in octal (default 0600, 0660 with -g)\n"
	    "  -c file     sets GATEHOUSE_CONFIG for the workers\n"
	    "A directory argument stands for every executable file in it.\n");
}

static int
add_prog(struct pool *p, const char *path)
{
	struct prog	*pr;
	const char	*base;
	struct stat	 st;
	char		 cwd[PATH_MAX];
	int		 n;

	if (p->nprogs == MAX_PROGS) {
		logmsg("error", "too many programs (max %d)", MAX_PROGS);
		return 0;
	}
	if (stat(path, &st) == -1 || !S_ISREG(st.st_mode) ||
	    access(path, X_OK) == -1) {
		logmsg("error", "%s: not an executable file", path);
		return 0;
	}
	pr = &p->progs[p->nprogs];
	memset(pr, 0, sizeof(*pr));
	pr->fd = -1;
	/*
	 * Absolute, but not resolved: a symbolic link keeps its own name, in
	 * the socket and in ps (argv[0]).
	 */
	if (path[0] == '/')
		n = snprintf(pr->path, sizeof(pr->path), "%s", path);
	else if (getcwd(cwd, sizeof(cwd)) != NULL)
		n = snprintf(pr->path, sizeof(pr->path), "%s/%s", cwd, path);
	else
		n = -1;
	if (n < 0 || (size_t)n >= sizeof(pr->path)) {
		logmsg("error", "%s: path too long", path);
		return 0;
	}
	base = strrchr(path, '/');
	base = base == NULL ? path : base + 1;
	if (strlen(base) >= sizeof(pr->name)) {
		logmsg("error", "%s: name too long", path);
		return 0;
	}
	strcpy(pr->name, base);
	p->nprogs++;
	return 1;
}

static int
cmpname(const void *a, const void *b)
{
	return strcmp(((const struct prog *)a)->name,
	    ((const struct prog *)b)->name);
}

/* Adds every executable regular file of dir not starting with a dot. */
static int
add_dir(struct pool *p, const char *dir)
{
	DIR		*d = NULL;
	struct dirent	*de;
	char		 path[PATH_MAX];
	struct stat	 st;
	int		 rc = 0;
	size_t		 first = p->nprogs;

	if ((d = opendir(dir)) == NULL) {
		logmsg("error", "%s: %s", dir, strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    de->d_name) >= sizeof(path))
			continue;
		if (stat(path, &st) == -1 || !S_ISREG(st.st_mode) ||
		    access(path, X_OK) == -1)
			continue;
		if (!add_prog(p, path))
			goto out;
	}
	qsort(&p->progs[first], p->nprogs - first, sizeof(p->progs[0]),
	    cmpname);
	rc = 1;
out:
	if (d != NULL)
		closedir(d);
	return rc;
}

/* Creates prog's listening socket, replacing a stale one. */
static int
listen_prog(const struct pool *p, struct prog *pr)
{
	struct sockaddr_un	 sun;
	int			 fd = -1, rc = 0;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(pr->sock, sizeof(pr->sock), "%s/%s.sock",
	    p->rundir, pr->name) >= sizeof(pr->sock)) {
		logmsg("error", "%s/%s.sock: socket path too long",
		    p->rundir, pr->name);
		goto out;
	}
	strcpy(sun.sun_path, pr->sock);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		logmsg("error", "socket: %s", strerror(errno));
		goto out;
	}
	if (unlink(pr->sock) == -1 && errno != ENOENT) {
		logmsg("error", "%s: %s", pr->sock, strerror(errno));
		goto out;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		logmsg("error", "bind %s: %s", pr->sock, strerror(errno));
		goto out;
	}
	if ((p->gid != (gid_t)-1 && chown(pr->sock, (uid_t)-1, p->gid) == -1) ||
	    chmod(pr->sock, p->mode) == -1) {
		logmsg("error", "%s: %s", pr->sock, strerror(errno));
		unlink(pr->sock);
		goto out;
	}
	if (listen(fd, 1024) == -1) {
		logmsg("error", "listen %s: %s", pr->sock, strerror(errno));
		unlink(pr->sock);
		goto out;
	}
	pr->fd = fd;
	fd = -1;
	rc = 1;
out:
	if (fd != -1)
		close(fd);
	return rc;
}

/* Forks one worker of pr; the child never returns. */
static void
spawn(struct prog *pr, struct worker *w, pid_t parent)
{
	pid_t		 pid;
	sigset_t	 none;
	char		*argv[2];

	if ((pid = fork()) == -1) {
		logmsg("error", "fork %s: %s", pr->name, strerror(errno));
		w->pid = 0;
		w->restart_at = now_ms() + BACKOFF_MIN_MS;
		return;
	}
	if (pid > 0) {
		w->pid = pid;
		w->started = now_ms();
		return;
	}

	/* Child: the socket as fd 0 (dup2 clears its close-on-exec). */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(1);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(pr->fd, 0) == -1 || dup2(2, 1) == -1)
		_exit(1);
	argv[0] = pr->path;
	argv[1] = NULL;
	execv(pr->path, argv);
	logmsg("error", "exec %s: %s", pr->path, strerror(errno));
	_exit(127);
}

/* Records the exit of pid and schedules its restart. */
static void
reaped(struct pool *p, pid_t pid, int status, int stopping)
{
	struct prog	*pr;
	struct worker	*w;
	size_t		 i;
	int		 j, delay;
	int64_t		 now = now_ms(), ran;
	char		 how[64];

	for (i = 0; i < p->nprogs; i++) {
		pr = &p->progs[i];
		for (j = 0; j < pr->nworkers; j++) {
			w = &pr->workers[j];
			if (w->pid != pid)
				continue;
			w->pid = 0;
			if (stopping)
				return;
			ran = now - w->started;
			if (ran >= STABLE_MS)
				w->backoff = 0;
			if (ran < STABLE_MS) {
				delay = w->backoff == 0 ? BACKOFF_MIN_MS :
				    w->backoff;
				w->backoff = delay * 2 > BACKOFF_MAX_MS ?
				    BACKOFF_MAX_MS : delay * 2;
			} else
				delay = 0;
			w->restart_at = now + delay;
			if (WIFSIGNALED(status))
				snprintf(how, sizeof(how), "signal %d",
				    WTERMSIG(status));
			else
				snprintf(how, sizeof(how), "status %d",
				    WEXITSTATUS(status));
			logmsg("warn", "%s worker %d (pid %d) exited with %s "
			    "after %lld ms; restart in %d ms", pr->name, j,
			    (int)pid, how, (long long)ran, delay);
			return;
		}
	}
}

/* Starts due workers; returns ms until the next scheduled restart (-1: none). */
static int
start_due(struct pool *p, pid_t self)
{
	size_t		 i;
	int		 j;
	int64_t		 now = now_ms(), next = -1;
	struct worker	*w;

	for (i = 0; i < p->nprogs; i++)
		for (j = 0; j < p->progs[i].nworkers; j++) {
			w = &p->progs[i].workers[j];
			if (w->pid != 0)
				continue;
			if (w->restart_at <= now) {
				spawn(&p->progs[i], w, self);
				if (w->pid != 0)
					continue;
			}
			if (next == -1 || w->restart_at - now < next)
				next = w->restart_at - now;
		}
	return next < 0 ? -1 : (int)next;
}

static size_t
running(const struct pool *p)
{
	size_t	 i, n = 0;
	int	 j;

	for (i = 0; i < p->nprogs; i++)
		for (j = 0; j < p->progs[i].nworkers; j++)
			n += p->progs[i].workers[j].pid != 0;
	return n;
}

static void
signal_all(const struct pool *p, int sig)
{
	size_t	 i;
	int	 j;

	for (i = 0; i < p->nprogs; i++)
		for (j = 0; j < p->progs[i].nworkers; j++)
			if (p->progs[i].workers[j].pid != 0)
				kill(p->progs[i].workers[j].pid, sig);
}

static void
reap_all(struct pool *p, int stopping)
{
	pid_t	 pid;
	int	 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		reaped(p, pid, status, stopping);
}

/* Stops every worker: SIGTERM, then SIGKILL after the grace period. */
static void
stop_all(struct pool *p, const sigset_t *set)
{
	int64_t		 deadline = now_ms() + STOP_GRACE_MS;
	struct timespec	 ts = { 0, 50 * 1000000 };

	signal_all(p, SIGTERM);
	while (running(p) > 0 && now_ms() < deadline) {
		sigtimedwait(set, NULL, &ts);
		reap_all(p, 1);
	}
	if (running(p) > 0) {
		logmsg("warn", "%zu workers ignored SIGTERM; killing",
		    running(p));
		signal_all(p, SIGKILL);
		while (running(p) > 0) {
			sigtimedwait(set, NULL, &ts);
			reap_all(p, 1);
		}
	}
}

static int
parse_count(const char *s, int *out)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 ||
	    v > MAX_WORKERS)
		return 0;
	*out = (int)v;
	return 1;
}

int
main(int argc, char *argv[])
{
	struct pool	 pool;
	char		*overrides[MAX_PROGS], *eq, *end;
	char		 cfg[PATH_MAX];
	size_t		 i, k, noverrides = 0;
	int		 c, j, n, rc = 1, sig, next, quit = 0;
	int		 mode_set = 0;
	long		 mode;
	struct group	*gr;
	sigset_t	 set;
	struct timespec	 ts;
	pid_t		 self = getpid();

	memset(&pool, 0, sizeof(pool));
	sigemptyset(&set);
	pool.nworkers = 2;
	pool.gid = (gid_t)-1;
	pool.mode = 0600;

	while ((c = getopt(argc, argv, "c:g:hm:n:s:w:")) != -1)
		switch (c) {
		case 'c':
			if (realpath(optarg, cfg) == NULL) {
				logmsg("error", "%s: %s", optarg,
				    strerror(errno));
				return 1;
			}
			setenv("GATEHOUSE_CONFIG", cfg, 1);
			break;
		case 'g':
			if ((gr = getgrnam(optarg)) == NULL) {
				logmsg("error", "%s: no such group", optarg);
				return 1;
			}
			pool.gid = gr->gr_gid;
			if (!mode_set)
				pool.mode = 0660;
			break;
		case 'm':
			errno = 0;
			mode = strtol(optarg, &end, 8);
			if (errno != 0 || *end != '\0' || mode < 0 ||
			    mode > 0777) {
				usage();
				return 1;
			}
			pool.mode = (mode_t)mode;
			mode_set = 1;
			break;
		case 'n':
			if (!parse_count(optarg, &pool.nworkers)) {
				usage();
				return 1;
			}
			break;
		case 's':
			pool.rundir = optarg;
			break;
		case 'w':
			if (noverrides == MAX_PROGS ||
			    strchr(optarg, '=') == NULL) {
				usage();
				return 1;
			}
			overrides[noverrides++] = optarg;
			break;
		default:
			usage();
			return c == 'h' ? 0 : 1;
		}
	argc -= optind;
	argv += optind;
	if (argc == 0 || pool.rundir == NULL) {
		usage();
		return 1;
	}

	for (j = 0; j < argc; j++) {
		struct stat st;

		if (stat(argv[j], &st) == 0 && S_ISDIR(st.st_mode)) {
			if (!add_dir(&pool, argv[j]))
				goto out;
		} else if (!add_prog(&pool, argv[j]))
			goto out;
	}
	if (pool.nprogs == 0) {
		logmsg("error", "no programs found");
		goto out;
	}
	for (i = 0; i < pool.nprogs; i++)
		for (k = i + 1; k < pool.nprogs; k++)
			if (strcmp(pool.progs[i].name, pool.progs[k].name) == 0) {
				logmsg("error", "two programs named %s",
				    pool.progs[i].name);
				goto out;
			}

	for (i = 0; i < pool.nprogs; i++) {
		pool.progs[i].nworkers = pool.nworkers;
		for (k = 0; k < noverrides; k++) {
			eq = strchr(overrides[k], '=');
			if ((size_t)(eq - overrides[k]) ==
			    strlen(pool.progs[i].name) &&
			    strncmp(overrides[k], pool.progs[i].name,
			    eq - overrides[k]) == 0 &&
			    !parse_count(eq + 1, &pool.progs[i].nworkers)) {
				usage();
				goto out;
			}
		}
		pool.progs[i].workers = calloc(pool.progs[i].nworkers,
		    sizeof(struct worker));
		if (pool.progs[i].workers == NULL) {
			logmsg("error", "out of memory");
			goto out;
		}
	}

	/* Signals are taken synchronously with sigtimedwait. */
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; i < pool.nprogs; i++)
		if (!listen_prog(&pool, &pool.progs[i]))
			goto out;

	n = 0;
	for (i = 0; i < pool.nprogs; i++)
		n += pool.progs[i].nworkers;
	logmsg("info", "%zu programs, %d workers, sockets in %s",
	    pool.nprogs, n, pool.rundir);

	while (!quit) {
		next = start_due(&pool, self);
		if (next >= 0) {
			ts.tv_sec = next / 1000;
			ts.tv_nsec = (long)(next % 1000) * 1000000;
		}
		sig = sigtimedwait(&set, NULL, next >= 0 ? &ts : NULL);
		switch (sig) {
		case SIGTERM:
		case SIGINT:
			logmsg("info", "signal %d: stopping", sig);
			quit = 1;
			break;
		case SIGHUP:
			logmsg("info", "SIGHUP: restarting every worker");
			signal_all(&pool, SIGTERM);
			for (i = 0; i < pool.nprogs; i++)
				for (j = 0; j < pool.progs[i].nworkers; j++)
					pool.progs[i].workers[j].backoff = 0;
			break;
		default:
			break;
		}
		reap_all(&pool, quit);
	}
	rc = 0;
out:
	stop_all(&pool, &set);
	for (i = 0; i < pool.nprogs; i++) {
		if (pool.progs[i].fd != -1) {
			close(pool.progs[i].fd);
			unlink(pool.progs[i].sock);
		}
		free(pool.progs[i].workers);
	}
	if (rc == 0)
		logmsg("info", "stopped");
	return rc;
}
