/*
 * fuzz-cursor.c: query cursors, which come back from clients, over
 * untrusted bytes.  The input is the cursor; it is tried on a base query
 * and a GSI1 query of partition "p" in a throwaway SQLite store (so an
 * accepted cursor really runs).  Nothing may crash or leak, and a cursor
 * is accepted by at most one of the two queries.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gh_conf.h"
#include "gh_store.h"

static char		 dir[] = "/tmp/gh-fuzz-cursor-XXXXXX";
static struct gh_conf	*conf;
static struct gh_store	*s;

static void
cleanup(void)
{
	static const char *const files[] = {
		"c.conf", "c.db", "c.db-wal", "c.db-shm",
	};
	char	 p[128];
	size_t	 i;

	gh_store_free(s);
	gh_conf_free(conf);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	 p[128];
	FILE	*f;

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(p, sizeof(p), "%s/c.conf", dir);
	if ((f = fopen(p, "w")) == NULL)
		abort();
	fprintf(f, "store = sqlite\nsqlite_path = c.db\n");
	fclose(f);
	if (gh_conf_load(p, 0, &conf, NULL) != GH_OK ||
	    gh_conf_set(conf, GH_CONF_STORE, "sqlite") != GH_OK ||
	    gh_store_open(conf, &s) != GH_OK)
		abort();
	atexit(cleanup);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gh_query	 q;
	struct gh_page	 pg;
	char		*cur;
	int		 accepted = 0;

	if ((cur = malloc(size + 1)) == NULL)
		return 0;
	memcpy(cur, data, size);
	cur[size] = '\0';
	memset(&q, 0, sizeof(q));
	q.table = GH_TABLE_MAIN;
	q.pk = "p";
	q.limit = 2;
	q.cursor = cur;
	memset(&pg, 0, sizeof(pg));
	if (gh_store_query(s, &q, &pg) == GH_OK)
		accepted++;
	gh_page_free(&pg);
	q.index = GH_INDEX_GSI1;
	if (gh_store_query(s, &q, &pg) == GH_OK)
		accepted++;
	gh_page_free(&pg);
	free(cur);
	if (accepted > 1)
		abort();	/* one cursor, two queries */
	return 0;
}
