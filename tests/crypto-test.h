/*
 * crypto-test.h: tiny helpers shared by the crypto-core unit tests
 * (test-crypto, test-keys, test-verify, test-password).  Header-only; every
 * test program includes it once.
 *
 * CHECK counts one case; ct_done prints the closing "N passed, N failed"
 * line and gives the exit status.  ct_tmpdir makes a private scratch
 * directory that ct_rmtree removes.
 */
#ifndef CRYPTO_TEST_H
#define CRYPTO_TEST_H

#include <sys/stat.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int	 ct_pass, ct_fail;

#define CHECK(cond, ...) do {						\
	if (cond)							\
		ct_pass++;						\
	else {								\
		ct_fail++;						\
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);	\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
	}								\
} while (0)

static int
ct_done(void)
{
	printf("%d passed, %d failed\n", ct_pass, ct_fail);
	return ct_fail == 0 ? 0 : 1;
}

/* A fresh directory under $TMPDIR (or /tmp); malloc'd path. */
static char *
ct_tmpdir(const char *tag)
{
	const char	*base = getenv("TMPDIR");
	char		*p;

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	if (asprintf(&p, "%s/gh-%s-XXXXXX", base, tag) < 0)
		abort();
	if (mkdtemp(p) == NULL) {
		perror("mkdtemp");
		abort();
	}
	return p;
}

static int
ct_rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

static void
ct_rmtree(const char *dir)
{
	nftw(dir, ct_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes len bytes to path with mode (replacing it). */
static int
ct_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	FILE	*f;
	int	 rc = 0;

	unlink(path);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	if (fwrite(data, 1, len, f) != len)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	if (chmod(path, mode) != 0)
		rc = -1;
	return rc;
}

#endif /* CRYPTO_TEST_H */
