/*
 * gh_err.h: the one error enum of the gatehouse library.
 *
 * Every library function that can fail returns an enum gh_err; GH_OK is 0 so
 * "if (err)" reads naturally.  gh_strerror() names each value; long-lived
 * objects (the store, the verifier) may keep a longer message of their own.
 *
 * Allocation-failure policy: library functions return GH_ERR_NOMEM and leave
 * their outputs untouched; a route answers 500 and logs it.
 */
#ifndef GH_ERR_H
#define GH_ERR_H

enum gh_err {
	GH_OK = 0,
	GH_ERR_NOMEM,		/* allocation failed */
	GH_ERR_INVAL,		/* bad argument or malformed input */
	GH_ERR_NOTFOUND,	/* no such item / key / user */
	GH_ERR_CONFLICT,	/* a write's condition failed (exists, version) */
	GH_ERR_STORE,		/* the store is unreachable or failed */
	GH_ERR_THROTTLED,	/* the store or a limiter said: slow down */
	GH_ERR_TOOLARGE,	/* input or item over a configured limit */
	GH_ERR_IO,		/* file or network I/O failed */
	GH_ERR_CONFIG,		/* configuration missing or invalid */
	GH_ERR_CRYPTO,		/* OpenSSL or key material failed */
	GH_ERR_TOKEN,		/* a token failed verification */
	GH_ERR_EXPIRED,		/* something valid once is no longer */
	GH_ERR_DENIED,		/* authenticated but not allowed */
	GH_ERR_INTERNAL,	/* a bug: an invariant did not hold */
	GH_ERR__MAX
};

/* A static, human-readable name for err; never NULL. */
const char	*gh_strerror(enum gh_err err);

#endif /* GH_ERR_H */
