/*
 * gh_password.h: password hashing and policy, and hashing of e-mailed codes.
 *
 * Passwords are hashed with Argon2id (libargon2) and stored as PHC strings,
 * "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>", so the parameters travel
 * with each hash and can be raised later: gh_password_verify reads them from
 * the string and says when a hash is weaker than the current parameters (the
 * caller then re-hashes the password it just verified and stores that).
 *
 * Unknown users must cost the same as wrong passwords: call
 * gh_password_dummy_verify with the submitted password when there is no
 * user, which runs one verification against a fixed dummy hash made once
 * per process with the same parameters.
 *
 * E-mailed codes are stored as HMAC-SHA256 under a server secret (a key file
 * in the keys directory), bound to a context string (e.g. "signup:" + sub),
 * so a copy of the database alone cannot brute-force the 10^6 codes and a
 * hash cannot be moved to another user or purpose.
 *
 * Ownership: *phc from gh_password_hash is malloc'd (free it); a struct
 * gh_pwlist from gh_pwlist_load is freed with gh_pwlist_free (NULL ok).
 * Thread-safety: all functions are safe to call from several threads (the
 * dummy hash is made under a lock); a gh_pwlist is read-only once loaded.
 */
#ifndef GH_PASSWORD_H
#define GH_PASSWORD_H

#include <stddef.h>
#include <stdint.h>

#include "gh_crypto.h"
#include "gh_err.h"

/* Argon2id cost: OWASP's minimum for argon2id is m=19 MiB, t=2, p=1. */
struct gh_pw_params {
	uint32_t	 t_cost;	/* passes */
	uint32_t	 m_kib;		/* memory in KiB */
	uint32_t	 lanes;		/* parallelism */
};

#define GH_PW_T_COST	2
#define GH_PW_M_KIB	19456
#define GH_PW_LANES	1
#define GH_PW_SALT_LEN	16
#define GH_PW_HASH_LEN	32

/* {GH_PW_T_COST, GH_PW_M_KIB, GH_PW_LANES}; used wherever params is NULL. */
extern const struct gh_pw_params gh_pw_default;

/*
 * Hashes pw (NUL-terminated) with a fresh random salt into a PHC string.
 * params NULL: gh_pw_default.  Tests may pass lower costs (libargon2's
 * minimums: t >= 1, m >= 8 * lanes).
 */
enum gh_err	 gh_password_hash(const char *pw,
		    const struct gh_pw_params *params, char **phc);

/*
 * Checks pw against the PHC string phc.  GH_OK: it matches; then, if
 * needs_rehash is not NULL, *needs_rehash is 1 when the stored hash is
 * weaker than params (NULL: gh_pw_default), else 0.  GH_ERR_DENIED: wrong
 * password.  GH_ERR_INVAL: phc is not an argon2id PHC string we accept (or
 * its costs are absurdly high).  GH_ERR_CRYPTO / GH_ERR_NOMEM: libargon2
 * failed.
 */
enum gh_err	 gh_password_verify(const char *pw, const char *phc,
		    const struct gh_pw_params *params, int *needs_rehash);

/*
 * Burns the time of one gh_password_verify at params (NULL: default) and
 * returns GH_ERR_DENIED, for sign-in attempts on unknown users.
 */
enum gh_err	 gh_password_dummy_verify(const char *pw,
		    const struct gh_pw_params *params);

/* ---- policy ---- */

#define GH_PW_MIN_LEN	8	/* characters, default minimum */
#define GH_PW_MAX_LEN	256	/* characters, fixed maximum */

/* Why a password was refused; GH_PW_OK when it passes. */
enum gh_pw_verdict {
	GH_PW_OK = 0,
	GH_PW_TOO_SHORT,	/* fewer than min_len characters */
	GH_PW_TOO_LONG,		/* more than GH_PW_MAX_LEN characters */
	GH_PW_BAD_CHARS,	/* not UTF-8, or control characters */
	GH_PW_COMMON,		/* on the common-password list */
	GH_PW_LIKE_EMAIL,	/* equal to the e-mail or its local part */
	GH_PW__MAX
};

/* A human sentence for v ("Password is too common", ...). */
const char	*gh_pw_verdict_str(enum gh_pw_verdict v);

struct gh_pwlist;

/*
 * Loads the common-password list in path (one password a line; lines
 * starting "#!comment:" and empty lines skipped; compared case-insensitively
 * for ASCII letters).  path NULL or a missing file: a compiled-in list of
 * the ~50 most common passwords (GH_OK all the same; gh_pwlist_builtin
 * tells).  Other read errors fail.
 */
enum gh_err	 gh_pwlist_load(const char *path, struct gh_pwlist **out);
void		 gh_pwlist_free(struct gh_pwlist *l);
size_t		 gh_pwlist_size(const struct gh_pwlist *l);
int		 gh_pwlist_builtin(const struct gh_pwlist *l);
int		 gh_pwlist_contains(const struct gh_pwlist *l, const char *pw);

/*
 * Applies the policy: length in characters (UTF-8 code points) within
 * min_len (0: GH_PW_MIN_LEN) .. GH_PW_MAX_LEN, valid UTF-8 without control
 * characters, not on list (NULL: no list check), not equal (ignoring ASCII
 * case) to email or its local part (email NULL: no check).  Rules are
 * checked in the enum's order; the first failing one is returned.
 */
enum gh_pw_verdict gh_password_check(const char *pw, size_t min_len,
		    const struct gh_pwlist *list, const char *email);

/* ---- codes ---- */

#define GH_CODE_KEY_FILE	"code-hmac.key"
#define GH_CODE_HASH_LEN	65	/* hex HMAC-SHA256 + NUL */

/* Loads or creates keys_dir/GH_CODE_KEY_FILE (see gh_secret_key_load). */
enum gh_err	 gh_code_key_load(const char *keys_dir,
		    unsigned char key[GH_SECRET_KEY_LEN]);

/* hex(HMAC-SHA256(key, "gatehouse-code" 0 context 0 code)). */
enum gh_err	 gh_code_hash(const unsigned char key[GH_SECRET_KEY_LEN],
		    const char *context, const char *code,
		    char out[GH_CODE_HASH_LEN]);

/* 1 if code hashes to stored under key and context (constant time). */
int		 gh_code_check(const unsigned char key[GH_SECRET_KEY_LEN],
		    const char *context, const char *code, const char *stored);

#endif /* GH_PASSWORD_H */
