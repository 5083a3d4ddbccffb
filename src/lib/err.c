/*
 * err.c: names for enum gh_err.
 */
#include <stddef.h>

#include "gh_err.h"

static const char *const gh_errs[GH_ERR__MAX] = {
	[GH_OK] = "success",
	[GH_ERR_NOMEM] = "out of memory",
	[GH_ERR_INVAL] = "invalid input",
	[GH_ERR_NOTFOUND] = "not found",
	[GH_ERR_CONFLICT] = "condition failed",
	[GH_ERR_STORE] = "store unavailable",
	[GH_ERR_THROTTLED] = "throttled",
	[GH_ERR_TOOLARGE] = "too large",
	[GH_ERR_IO] = "input/output error",
	[GH_ERR_CONFIG] = "configuration error",
	[GH_ERR_CRYPTO] = "cryptographic failure",
	[GH_ERR_TOKEN] = "invalid token",
	[GH_ERR_EXPIRED] = "expired",
	[GH_ERR_DENIED] = "permission denied",
	[GH_ERR_INTERNAL] = "internal error",
};

const char *
gh_strerror(enum gh_err err)
{
	if ((unsigned)err >= GH_ERR__MAX || gh_errs[err] == NULL)
		return "unknown error";
	return gh_errs[err];
}
