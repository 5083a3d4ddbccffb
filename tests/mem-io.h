/*
 * mem-io.h: one request in memory for tests of the request cycle: a struct
 * gh_io whose environment, body and output are buffers (gh_http_impl.h).
 * mem_io_init sets it up; gh_handle then runs the request through it.
 */
#ifndef GH_MEM_IO_H
#define GH_MEM_IO_H

#include <string.h>

#include "gh_http_impl.h"

struct mem_io {
	struct gh_io	 io;
	const char	*const *env;	/* name=value, NULL-terminated */
	const char	*body;
	size_t		 bodylen, off;
	size_t		 reads;		/* bytes handed to the program */
	char		 out[65536];
	size_t		 outlen;
};

static const char *
mem_getenv(struct gh_io *io, const char *name)
{
	struct mem_io	*m = (struct mem_io *)io;
	size_t		 n = strlen(name), i;

	for (i = 0; m->env[i] != NULL; i++)
		if (strncmp(m->env[i], name, n) == 0 && m->env[i][n] == '=')
			return m->env[i] + n + 1;
	return NULL;
}

static long
mem_read(struct gh_io *io, char *buf, size_t len)
{
	struct mem_io *m = (struct mem_io *)io;
	size_t n = m->bodylen - m->off;

	if (n > len)
		n = len;
	memcpy(buf, m->body + m->off, n);
	m->off += n;
	m->reads += n;
	return (long)n;
}

static void
mem_write(struct gh_io *io, const char *buf, size_t len)
{
	struct mem_io *m = (struct mem_io *)io;

	if (m->outlen + len < sizeof(m->out)) {
		memcpy(m->out + m->outlen, buf, len);
		m->outlen += len;
		m->out[m->outlen] = '\0';
	}
}

/* m empty, reading env (name=value, NULL-terminated) and body (NULL: ""). */
static void
mem_io_init(struct mem_io *m, const char *const *env, const char *body)
{
	memset(m, 0, sizeof(*m));
	m->io.getenv = mem_getenv;
	m->io.read = mem_read;
	m->io.write = mem_write;
	m->env = env;
	m->body = body != NULL ? body : "";
	m->bodylen = strlen(m->body);
}

#endif /* GH_MEM_IO_H */
