/*
 * gh_http_impl.h: the seams of http.c, for gh_main and the unit tests only.
 */
#ifndef GH_HTTP_IMPL_H
#define GH_HTTP_IMPL_H

#include <stddef.h>

#include "gh_http.h"

/* Where a request comes from: CGI-style variables, body bytes, output. */
struct gh_io {
	const char	*(*getenv)(struct gh_io *, const char *name);
	long		 (*read)(struct gh_io *, char *buf, size_t len); /* <=0: end */
	void		 (*write)(struct gh_io *, const char *buf, size_t len);
};

/* State a program keeps across requests (owned by the loop). */
struct gh_proc {
	int		 inited;
	struct gh_conf	*conf;
	struct gh_store	*store;
};

/* Handles one request completely: reply written, log line emitted. */
void	gh_handle(const struct gh_app *app, struct gh_proc *p, struct gh_io *io);

#endif /* GH_HTTP_IMPL_H */
