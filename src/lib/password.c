/*
 * password.c: Argon2id password hashes in PHC form, the password policy
 * with its common-password list, and HMAC hashing of e-mailed codes (see
 * gh_password.h).  Used by the embedded user pool.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <argon2.h>
#include <openssl/crypto.h>

#include "gh_crypto.h"
#include "gh_password.h"

#define PW_MAX_BYTES	(GH_PW_MAX_LEN * 4)	/* UTF-8 worst case */
#define PW_LIST_MAX	(8 * 1024 * 1024)	/* bytes of a list file */
#define VERIFY_MAX_M	(1024 * 1024)		/* 1 GiB */
#define VERIFY_MAX_T	64
#define VERIFY_MAX_P	64

const struct gh_pw_params gh_pw_default = {
	GH_PW_T_COST, GH_PW_M_KIB, GH_PW_LANES
};

enum gh_err
gh_password_hash(const char *pw, const struct gh_pw_params *params,
    char **phc)
{
	unsigned char	 salt[GH_PW_SALT_LEN];
	char		*enc = NULL;
	size_t		 enclen;
	int		 rc;
	enum gh_err	 err;

	if (params == NULL)
		params = &gh_pw_default;
	if ((err = gh_random_bytes(salt, sizeof(salt))) != GH_OK)
		return err;
	enclen = argon2_encodedlen(params->t_cost, params->m_kib,
	    params->lanes, GH_PW_SALT_LEN, GH_PW_HASH_LEN, Argon2_id);
	if ((enc = malloc(enclen)) == NULL)
		return GH_ERR_NOMEM;
	rc = argon2id_hash_encoded(params->t_cost, params->m_kib,
	    params->lanes, pw, strlen(pw), salt, sizeof(salt),
	    GH_PW_HASH_LEN, enc, enclen);
	if (rc != ARGON2_OK) {
		free(enc);
		return rc == ARGON2_MEMORY_ALLOCATION_ERROR ?
		    GH_ERR_NOMEM : GH_ERR_CRYPTO;
	}
	*phc = enc;
	return GH_OK;
}

/* Reads a decimal uint32 at *p, advancing it; -1 if none or overflow. */
static int
parse_u32(const char **p, uint32_t *val)
{
	uint64_t	 v = 0;
	const char	*s = *p;

	if (!isdigit((unsigned char)*s) || (s[0] == '0' && isdigit(
	    (unsigned char)s[1])))
		return -1;
	while (isdigit((unsigned char)*s)) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return -1;
		s++;
	}
	*val = (uint32_t)v;
	*p = s;
	return 0;
}

/* Checks that s up to the next '$' (or NUL, if last) is standard base64. */
static const char *
skip_b64(const char *s, int last)
{
	const char	*start = s;

	while (isalnum((unsigned char)*s) || *s == '+' || *s == '/')
		s++;
	if (s == start || (last ? *s != '\0' : *s != '$'))
		return NULL;
	return s;
}

/*
 * Parses "$argon2id$v=19$m=M,t=T,p=P$salt$hash" strictly; fills p.
 */
static int
phc_parse(const char *phc, struct gh_pw_params *p)
{
	const char	*s = phc;
	static const char prefix[] = "$argon2id$v=19$m=";

	if (strncmp(s, prefix, sizeof(prefix) - 1) != 0)
		return -1;
	s += sizeof(prefix) - 1;
	if (parse_u32(&s, &p->m_kib) != 0 || strncmp(s, ",t=", 3) != 0)
		return -1;
	s += 3;
	if (parse_u32(&s, &p->t_cost) != 0 || strncmp(s, ",p=", 3) != 0)
		return -1;
	s += 3;
	if (parse_u32(&s, &p->lanes) != 0 || *s++ != '$')
		return -1;
	if ((s = skip_b64(s, 0)) == NULL)
		return -1;
	if ((s = skip_b64(s + 1, 1)) == NULL)
		return -1;
	return 0;
}

enum gh_err
gh_password_verify(const char *pw, const char *phc,
    const struct gh_pw_params *params, int *needs_rehash)
{
	struct gh_pw_params	 st;
	int			 rc;

	if (params == NULL)
		params = &gh_pw_default;
	if (phc == NULL || phc_parse(phc, &st) != 0)
		return GH_ERR_INVAL;
	if (st.m_kib > VERIFY_MAX_M || st.t_cost > VERIFY_MAX_T ||
	    st.lanes > VERIFY_MAX_P || st.t_cost == 0 || st.lanes == 0)
		return GH_ERR_INVAL;
	/* argon2id_verify re-derives with the string's own parameters and
	 * compares in constant time. */
	rc = argon2id_verify(phc, pw, strlen(pw));
	if (rc == ARGON2_VERIFY_MISMATCH)
		return GH_ERR_DENIED;
	if (rc == ARGON2_MEMORY_ALLOCATION_ERROR)
		return GH_ERR_NOMEM;
	if (rc != ARGON2_OK)
		return rc == ARGON2_DECODING_FAIL ||
		    rc == ARGON2_SALT_TOO_SHORT ||
		    rc == ARGON2_OUTPUT_TOO_SHORT ||
		    rc == ARGON2_MEMORY_TOO_LITTLE ?
		    GH_ERR_INVAL : GH_ERR_CRYPTO;
	if (needs_rehash != NULL)
		*needs_rehash = st.m_kib < params->m_kib ||
		    st.t_cost < params->t_cost;
	return GH_OK;
}

static pthread_mutex_t	 dummy_lock = PTHREAD_MUTEX_INITIALIZER;
static char		*dummy_phc;	/* made once per process ... */
static struct gh_pw_params dummy_params; /* ... for these parameters */

static void
dummy_free(void)
{
	free(dummy_phc);
	dummy_phc = NULL;
}

enum gh_err
gh_password_dummy_verify(const char *pw, const struct gh_pw_params *params)
{
	char		 secret[GH_RANDOM_ID_LEN];
	char		*phc = NULL;
	static int	 registered;
	enum gh_err	 err = GH_OK;

	if (params == NULL)
		params = &gh_pw_default;
	pthread_mutex_lock(&dummy_lock);
	if (dummy_phc == NULL || memcmp(&dummy_params, params,
	    sizeof(*params)) != 0) {
		/* A random password nobody knows: nothing can match. */
		if ((err = gh_random_id(secret)) == GH_OK &&
		    (err = gh_password_hash(secret, params, &phc)) == GH_OK) {
			free(dummy_phc);
			dummy_phc = phc;
			dummy_params = *params;
			if (!registered && atexit(dummy_free) == 0)
				registered = 1;
		}
		OPENSSL_cleanse(secret, sizeof(secret));
	}
	if (err == GH_OK && (phc = strdup(dummy_phc)) == NULL)
		err = GH_ERR_NOMEM;
	pthread_mutex_unlock(&dummy_lock);
	if (err != GH_OK)
		return err;
	(void)gh_password_verify(pw, phc, params, NULL);
	free(phc);
	return GH_ERR_DENIED;
}

/* ---- policy ---- */

static const char *const verdicts[GH_PW__MAX] = {
	[GH_PW_OK] = "Password accepted",
	[GH_PW_TOO_SHORT] = "Password is too short",
	[GH_PW_TOO_LONG] = "Password is too long",
	[GH_PW_BAD_CHARS] = "Password contains invalid characters",
	[GH_PW_COMMON] = "Password is too common",
	[GH_PW_LIKE_EMAIL] = "Password must not be the e-mail address",
};

const char *
gh_pw_verdict_str(enum gh_pw_verdict v)
{
	return (unsigned)v < GH_PW__MAX ? verdicts[v] : "Password refused";
}

/* The fallback list: the best-known common passwords of 8+ characters
 * first (those the default policy would otherwise let through), then the
 * shorter classics for configurations with a lower minimum. */
static const char *const builtin_list[] = {
	"password", "password1", "12345678", "123456789", "1234567890",
	"qwertyuiop", "iloveyou", "sunshine", "princess", "football",
	"baseball", "welcome1", "trustno1", "superman", "starwars",
	"passw0rd", "password123", "qwerty123", "1q2w3e4r", "11111111",
	"00000000", "abcd1234", "asdfghjkl", "zaq12wsx", "letmein1",
	"whatever", "computer", "corvette", "michelle", "mercedes",
	"jennifer", "jordan23", "internet", "1qaz2wsx", "qwertyui",
	"87654321", "88888888", "12341234", "q1w2e3r4", "changeme",
	"123456", "12345", "qwerty", "abc123", "111111", "123123",
	"letmein", "monkey", "dragon", "admin", "welcome", "master",
};

struct gh_pwlist {
	char	**words;	/* sorted, ASCII-lowercased */
	size_t	  n;
	int	  builtin;
};

static int
cmp_words(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
lower_ascii(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

void
gh_pwlist_free(struct gh_pwlist *l)
{
	size_t	 i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->words[i]);
	free(l->words);
	free(l);
}

static enum gh_err
pwlist_add(struct gh_pwlist *l, size_t *cap, const char *w, size_t len)
{
	char	**nw, *s;

	if (l->n == *cap) {
		*cap = *cap == 0 ? 256 : *cap * 2;
		if ((nw = reallocarray(l->words, *cap, sizeof(*nw))) == NULL)
			return GH_ERR_NOMEM;
		l->words = nw;
	}
	if ((s = strndup(w, len)) == NULL)
		return GH_ERR_NOMEM;
	lower_ascii(s);
	l->words[l->n++] = s;
	return GH_OK;
}

enum gh_err
gh_pwlist_load(const char *path, struct gh_pwlist **out)
{
	struct gh_pwlist	*l = NULL;
	char			*data = NULL, *line, *nl;
	size_t			 len = 0, cap = 0, i, wl;
	enum gh_err		 err;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return GH_ERR_NOMEM;
	err = path == NULL ? GH_ERR_NOTFOUND :
	    gh_file_read(path, PW_LIST_MAX, &data, &len);
	if (err == GH_ERR_NOTFOUND) {
		l->builtin = 1;
		for (i = 0; i < sizeof(builtin_list) / sizeof(builtin_list[0]);
		    i++)
			if ((err = pwlist_add(l, &cap, builtin_list[i],
			    strlen(builtin_list[i]))) != GH_OK)
				goto out;
	} else if (err != GH_OK) {
		goto out;
	} else {
		for (line = data; line < data + len; line = nl + 1) {
			if ((nl = memchr(line, '\n', (size_t)(data + len -
			    line))) == NULL)
				nl = data + len;
			wl = (size_t)(nl - line);
			if (wl > 0 && line[wl - 1] == '\r')
				wl--;
			if (wl == 0 || wl > PW_MAX_BYTES ||
			    strncmp(line, "#!comment:", 10) == 0 ||
			    memchr(line, '\0', wl) != NULL)
				continue;
			if ((err = pwlist_add(l, &cap, line, wl)) != GH_OK)
				goto out;
		}
	}
	if (l->n > 0)
		qsort(l->words, l->n, sizeof(*l->words), cmp_words);
	*out = l;
	l = NULL;
	err = GH_OK;
out:
	free(data);
	gh_pwlist_free(l);
	return err;
}

size_t
gh_pwlist_size(const struct gh_pwlist *l)
{
	return l->n;
}

int
gh_pwlist_builtin(const struct gh_pwlist *l)
{
	return l->builtin;
}

int
gh_pwlist_contains(const struct gh_pwlist *l, const char *pw)
{
	char	 buf[PW_MAX_BYTES + 1];
	char	*key = buf;
	size_t	 len = strlen(pw);

	if (len > PW_MAX_BYTES || l->n == 0)
		return 0;
	memcpy(buf, pw, len + 1);
	lower_ascii(buf);
	return bsearch(&key, l->words, l->n, sizeof(*l->words),
	    cmp_words) != NULL;
}

/*
 * Counts the UTF-8 code points of s; -1 if s is not valid UTF-8 (overlong
 * forms, surrogates, > U+10FFFF) or holds a control character.
 */
static long
utf8_chars(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	uint32_t		 cp;
	long			 n = 0;
	int			 more, i;

	while (*p != '\0') {
		if (*p < 0x80) {
			if (*p < 0x20 || *p == 0x7f)
				return -1;
			p++;
			n++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0) {
			cp = *p & 0x1f;
			more = 1;
		} else if ((*p & 0xf0) == 0xe0) {
			cp = *p & 0x0f;
			more = 2;
		} else if ((*p & 0xf8) == 0xf0) {
			cp = *p & 0x07;
			more = 3;
		} else
			return -1;
		for (i = 1; i <= more; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return -1;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((more == 1 && cp < 0x80) || (more == 2 && cp < 0x800) ||
		    (more == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp <= 0x9f))
			return -1;
		p += more + 1;
		n++;
	}
	return n;
}

enum gh_pw_verdict
gh_password_check(const char *pw, size_t min_len,
    const struct gh_pwlist *list, const char *email)
{
	const char	*at;
	size_t		 len = strlen(pw);
	long		 chars;

	if (min_len == 0)
		min_len = GH_PW_MIN_LEN;
	/* Cheap byte bound first: never scan an absurd input. */
	if (len > PW_MAX_BYTES)
		return GH_PW_TOO_LONG;
	chars = utf8_chars(pw);
	if (chars >= 0 && (size_t)chars < min_len)
		return GH_PW_TOO_SHORT;
	if (chars > GH_PW_MAX_LEN)
		return GH_PW_TOO_LONG;
	if (chars < 0)
		return GH_PW_BAD_CHARS;
	if (list != NULL && gh_pwlist_contains(list, pw))
		return GH_PW_COMMON;
	if (email != NULL && email[0] != '\0') {
		if (strcasecmp(pw, email) == 0)
			return GH_PW_LIKE_EMAIL;
		if ((at = strrchr(email, '@')) != NULL && at != email &&
		    (size_t)(at - email) == len &&
		    strncasecmp(pw, email, len) == 0)
			return GH_PW_LIKE_EMAIL;
	}
	return GH_PW_OK;
}

/* ---- codes ---- */

enum gh_err
gh_code_key_load(const char *keys_dir, unsigned char key[GH_SECRET_KEY_LEN])
{
	char		*path;
	enum gh_err	 err;

	if (asprintf(&path, "%s/%s", keys_dir, GH_CODE_KEY_FILE) < 0)
		return GH_ERR_NOMEM;
	err = gh_secret_key_load(path, key);
	free(path);
	return err;
}

enum gh_err
gh_code_hash(const unsigned char key[GH_SECRET_KEY_LEN], const char *context,
    const char *code, char out[GH_CODE_HASH_LEN])
{
	static const char tag[] = "gatehouse-code";
	unsigned char	 mac[GH_SHA256_LEN];
	char		*msg;
	size_t		 clen = strlen(context), dlen = strlen(code), mlen;
	enum gh_err	 err;

	mlen = sizeof(tag) + clen + 1 + dlen;	/* tag NUL ctx NUL code */
	if ((msg = malloc(mlen)) == NULL)
		return GH_ERR_NOMEM;
	memcpy(msg, tag, sizeof(tag));
	memcpy(msg + sizeof(tag), context, clen + 1);
	memcpy(msg + sizeof(tag) + clen + 1, code, dlen);
	err = gh_hmac_sha256(key, GH_SECRET_KEY_LEN, msg, mlen, mac);
	OPENSSL_clear_free(msg, mlen);
	if (err == GH_OK)
		gh_hex_encode(mac, sizeof(mac), out);
	return err;
}

int
gh_code_check(const unsigned char key[GH_SECRET_KEY_LEN], const char *context,
    const char *code, const char *stored)
{
	char	 h[GH_CODE_HASH_LEN];

	if (stored == NULL || strlen(stored) != GH_CODE_HASH_LEN - 1)
		return 0;
	if (gh_code_hash(key, context, code, h) != GH_OK)
		return 0;
	return gh_ct_equal(h, stored, GH_CODE_HASH_LEN - 1);
}
