/*
 * test-crypto.c: gh_crypto.h: codecs against RFC vectors and malformed
 * input, digests and HMAC against published vectors, identifier formats,
 * AES-GCM tamper detection, and race-safe secret key files.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gh_crypto.h"
#include "crypto-test.h"

/* RFC 4648 section 10 vectors, in the url alphabet without padding. */
static const struct {
	const char	*raw;
	const char	*enc;
} b64_vectors[] = {
	{ "", "" },
	{ "f", "Zg" },
	{ "fo", "Zm8" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg" },
	{ "fooba", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy" },
	{ "\xfb\xff", "-_8" },
	{ "\xff\xfe\xfd", "__79" },
	{ "?>?", "Pz4_" },
};

/* Inputs strict decoding must refuse. */
static const char *const b64_bad[] = {
	"Zg==",		/* padding */
	"Zm8=",		/* padding */
	"Z",		/* impossible length */
	"Zm9vY",	/* impossible length */
	"Zh",		/* non-zero unused bits */
	"Zm9",		/* non-zero unused bits */
	"Zm+v",		/* standard alphabet '+' */
	"Zm/v",		/* standard alphabet '/' */
	"Zm9 v",	/* space */
	"Zm9v\n",	/* newline */
	"Zm.v",		/* dot */
	"Zm9v\xc3\xa9",	/* non-ASCII */
};

static void
test_b64(void)
{
	unsigned char	 buf[64], *dec;
	unsigned char	 rnd[100], out[100];
	char		*enc, ebuf[200];
	size_t		 i, n, len;

	for (i = 0; i < sizeof(b64_vectors) / sizeof(b64_vectors[0]); i++) {
		n = strlen(b64_vectors[i].raw);
		enc = NULL;
		CHECK(gh_b64url_encode(b64_vectors[i].raw, n, &enc) == GH_OK &&
		    strcmp(enc, b64_vectors[i].enc) == 0,
		    "b64 encode vector %zu", i);
		free(enc);
		CHECK(gh_b64url_enclen(n) == strlen(b64_vectors[i].enc),
		    "b64 enclen vector %zu", i);
		dec = NULL;
		CHECK(gh_b64url_decode(b64_vectors[i].enc,
		    strlen(b64_vectors[i].enc), &dec, &len) == GH_OK &&
		    len == n && memcmp(dec, b64_vectors[i].raw, n) == 0 &&
		    dec[n] == '\0', "b64 decode vector %zu", i);
		free(dec);
	}
	for (i = 0; i < sizeof(b64_bad) / sizeof(b64_bad[0]); i++)
		CHECK(gh_b64url_decode_buf(b64_bad[i], strlen(b64_bad[i]),
		    buf, sizeof(buf), &len) == GH_ERR_INVAL,
		    "b64 refuses bad input %zu", i);
	/* Embedded NUL inside the given length. */
	CHECK(gh_b64url_decode_buf("Zm\0v", 4, buf, sizeof(buf), &len) ==
	    GH_ERR_INVAL, "b64 refuses NUL");
	/* Output bound. */
	CHECK(gh_b64url_decode_buf("Zm9vYmFy", 8, buf, 5, &len) ==
	    GH_ERR_TOOLARGE, "b64 decode respects capacity");
	CHECK(gh_b64url_decode_buf("Zm9vYmFy", 8, buf, 6, &len) == GH_OK &&
	    len == 6, "b64 decode exact capacity");

	/* Round trips of every length 0..100. */
	for (n = 0; n <= sizeof(rnd); n++) {
		if (gh_random_bytes(rnd, sizeof(rnd)) != GH_OK)
			abort();
		gh_b64url_encode_buf(rnd, n, ebuf);
		CHECK(strlen(ebuf) == gh_b64url_enclen(n) &&
		    gh_b64url_decode_buf(ebuf, strlen(ebuf), out, sizeof(out),
		    &len) == GH_OK && len == n && memcmp(rnd, out, n) == 0,
		    "b64 round trip length %zu", n);
	}
}

static void
test_hex(void)
{
	unsigned char	 b[4];
	char		 s[9];

	gh_hex_encode("\x00\x1f\xa0\xff", 4, s);
	CHECK(strcmp(s, "001fa0ff") == 0, "hex encode");
	CHECK(gh_hex_decode("001FA0ff", 8, b, 4) == GH_OK &&
	    memcmp(b, "\x00\x1f\xa0\xff", 4) == 0, "hex decode mixed case");
	CHECK(gh_hex_decode("001fa0f", 7, b, 4) == GH_ERR_INVAL,
	    "hex odd length");
	CHECK(gh_hex_decode("001fa0fg", 8, b, 4) == GH_ERR_INVAL,
	    "hex bad digit");
	CHECK(gh_hex_decode("001fa0", 6, b, 4) == GH_ERR_INVAL,
	    "hex wrong size");
}

static void
test_digests(void)
{
	static const struct {
		const char	*key, *msg, *hex;
	} hmac[] = {
		/* RFC 4231 test case 2. */
		{ "Jefe", "what do ya want for nothing?",
		  "5bdcc146bf60754e6a042426089575c7"
		  "5a003f089d2739839dec58b964ec3843" },
		/* RFC 4231 test case 1 (key 0x0b x 20). */
		{ "\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b"
		  "\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b", "Hi There",
		  "b0344c61d8db38535ca8afceaf0bf12b"
		  "881dc200c9833da726e9376c2e32cff7" },
	};
	static const struct {
		const char	*msg, *hex;
	} sha[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb924"
		      "27ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223"
			 "b00361a396177a9cb410ff61f20015ad" },
	};
	unsigned char	 md[GH_SHA256_LEN];
	char		 hex[GH_SHA256_HEX_LEN];
	size_t		 i;

	for (i = 0; i < sizeof(sha) / sizeof(sha[0]); i++) {
		CHECK(gh_sha256_hex(sha[i].msg, strlen(sha[i].msg), hex) ==
		    GH_OK && strcmp(hex, sha[i].hex) == 0, "sha256 %zu", i);
		CHECK(gh_sha256(sha[i].msg, strlen(sha[i].msg), md) == GH_OK,
		    "sha256 raw %zu", i);
		gh_hex_encode(md, sizeof(md), hex);
		CHECK(strcmp(hex, sha[i].hex) == 0, "sha256 raw matches %zu",
		    i);
	}
	for (i = 0; i < sizeof(hmac) / sizeof(hmac[0]); i++) {
		CHECK(gh_hmac_sha256(hmac[i].key, strlen(hmac[i].key),
		    hmac[i].msg, strlen(hmac[i].msg), md) == GH_OK,
		    "hmac %zu", i);
		gh_hex_encode(md, sizeof(md), hex);
		CHECK(strcmp(hex, hmac[i].hex) == 0, "hmac vector %zu", i);
	}
}

/* gh_ct_equal reads words: every length, a difference at every byte. */
static void
ct_equal_words(void)
{
	unsigned char	 a[1109], b[1109];
	size_t		 len, at, bad = 0;
	unsigned	 bit;

	for (len = 0; len < sizeof(a); len++)
		a[len] = (unsigned char)(len * 131 + 7);
	memcpy(b, a, sizeof(b));
	for (len = 0; len <= 40; len++) {
		if (gh_ct_equal(a, b, len) != 1)
			bad++;
		for (at = 0; at < len; at++)
			for (bit = 1; bit < 256; bit <<= 1) {
				b[at] ^= (unsigned char)bit;
				if (gh_ct_equal(a, b, len) != 0)
					bad++;
				b[at] ^= (unsigned char)bit;
			}
	}
	CHECK(bad == 0, "ct_equal: lengths 0..40, every byte and bit (%zu wrong)", bad);
	for (bad = 0, at = 0; at < sizeof(a); at++) {
		b[at] ^= 0x80;
		if (gh_ct_equal(a, b, sizeof(a)) != 0)
			bad++;
		b[at] ^= 0x80;
	}
	CHECK(bad == 0 && gh_ct_equal(a, b, sizeof(a)) == 1,
	    "ct_equal: a 1109-byte token, a difference at each byte (%zu wrong)", bad);
	/* Unaligned starts. */
	CHECK(gh_ct_equal(a + 1, b + 1, 100) == 1, "ct_equal unaligned same");
	b[77] ^= 1;
	CHECK(gh_ct_equal(a + 3, b + 3, 100) == 0, "ct_equal unaligned differs");
	b[77] ^= 1;
}

static void
test_compare(void)
{
	static const struct {
		const char	*a, *b;
		int		 eq;
	} cases[] = {
		{ "", "", 1 },
		{ "abc", "abc", 1 },
		{ "abc", "abd", 0 },
		{ "abc", "ab", 0 },
		{ "ab", "abc", 0 },
		{ "", "a", 0 },
		{ "a", "", 0 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(gh_ct_streq(cases[i].a, cases[i].b) == cases[i].eq,
		    "ct_streq %zu", i);
	CHECK(gh_ct_equal("abcd", "abcd", 4) == 1, "ct_equal same");
	CHECK(gh_ct_equal("abcd", "abce", 4) == 0, "ct_equal differs");
	CHECK(gh_ct_equal("abcd", "abce", 3) == 1, "ct_equal prefix");
	CHECK(gh_ct_equal("", "x", 0) == 1, "ct_equal empty");
	ct_equal_words();
}

static int
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
test_ids(void)
{
	enum { N = 500 };
	static char	 uu[N][GH_UUID_LEN];
	static char	 ids[N][GH_RANDOM_ID_LEN];
	char		 code[GH_CODE6_LEN];
	unsigned char	 raw[40];
	size_t		 i, j, len, dups;
	int		 ok, digits[10] = { 0 }, mn, mx;

	ok = 1;
	for (i = 0; i < N; i++) {
		if (gh_uuid_v4(uu[i]) != GH_OK || strlen(uu[i]) != 36)
			ok = 0;
		for (j = 0; j < 36; j++) {
			if (j == 8 || j == 13 || j == 18 || j == 23) {
				if (uu[i][j] != '-')
					ok = 0;
			} else if (!is_hex(uu[i][j]))
				ok = 0;
		}
		if (uu[i][14] != '4' || strchr("89ab", uu[i][19]) == NULL)
			ok = 0;
	}
	CHECK(ok, "uuid v4 format");
	qsort(uu, N, GH_UUID_LEN, cmpstr);
	for (dups = 0, i = 1; i < N; i++)
		dups += strcmp(uu[i - 1], uu[i]) == 0;
	CHECK(dups == 0, "uuids distinct");

	ok = 1;
	for (i = 0; i < N; i++) {
		if (gh_random_id(ids[i]) != GH_OK || strlen(ids[i]) != 43 ||
		    gh_b64url_decode_buf(ids[i], 43, raw, sizeof(raw),
		    &len) != GH_OK || len != 32)
			ok = 0;
	}
	CHECK(ok, "random id: 43 base64url chars of 32 bytes");
	qsort(ids, N, GH_RANDOM_ID_LEN, cmpstr);
	for (dups = 0, i = 1; i < N; i++)
		dups += strcmp(ids[i - 1], ids[i]) == 0;
	CHECK(dups == 0, "random ids distinct");

	/* Codes: six digits; each digit value shows up evenly across
	 * 20000 codes (expected 12000 each; a broken generator that, say,
	 * never emits 9 or favours low digits fails). */
	ok = 1;
	for (i = 0; i < 20000; i++) {
		if (gh_random_code6(code) != GH_OK || strlen(code) != 6)
			ok = 0;
		for (j = 0; j < 6 && code[j] != '\0'; j++) {
			if (code[j] < '0' || code[j] > '9')
				ok = 0;
			else
				digits[code[j] - '0']++;
		}
	}
	CHECK(ok, "code6 format");
	mn = mx = digits[0];
	for (i = 1; i < 10; i++) {
		mn = digits[i] < mn ? digits[i] : mn;
		mx = digits[i] > mx ? digits[i] : mx;
	}
	CHECK(mn > 11000 && mx < 13000, "code6 digits uniform (%d..%d)",
	    mn, mx);
}

static void
test_aead(void)
{
	unsigned char	 key[GH_SECRET_KEY_LEN], key2[GH_SECRET_KEY_LEN];
	unsigned char	*pt = NULL, *raw = NULL;
	char		*sealed = NULL, *sealed2 = NULL, *forged = NULL;
	const char	*msg = "refresh-token-payload";
	size_t		 ptlen = 0, rawlen = 0, i;
	int		 all;

	if (gh_random_bytes(key, sizeof(key)) != GH_OK ||
	    gh_random_bytes(key2, sizeof(key2)) != GH_OK)
		abort();
	CHECK(gh_aead_seal(key, msg, strlen(msg), "ad", 2, &sealed) == GH_OK,
	    "aead seal");
	CHECK(gh_aead_open(key, sealed, "ad", 2, &pt, &ptlen) == GH_OK &&
	    ptlen == strlen(msg) && memcmp(pt, msg, ptlen) == 0 &&
	    pt[ptlen] == '\0', "aead round trip");
	free(pt);
	pt = NULL;
	CHECK(gh_aead_seal(key, msg, strlen(msg), "ad", 2, &sealed2) ==
	    GH_OK && strcmp(sealed, sealed2) != 0, "aead nonces differ");
	CHECK(gh_aead_open(key2, sealed, "ad", 2, &pt, &ptlen) ==
	    GH_ERR_CRYPTO, "aead wrong key");
	CHECK(gh_aead_open(key, sealed, "ae", 2, &pt, &ptlen) ==
	    GH_ERR_CRYPTO, "aead wrong associated data");
	CHECK(gh_aead_open(key, sealed, NULL, 0, &pt, &ptlen) ==
	    GH_ERR_CRYPTO, "aead missing associated data");

	/* Flip one bit in every byte (nonce, ciphertext, tag) in turn. */
	if (gh_b64url_decode(sealed, strlen(sealed), &raw, &rawlen) != GH_OK)
		abort();
	CHECK(rawlen == 12 + strlen(msg) + 16, "aead layout nonce|ct|tag");
	all = 1;
	for (i = 0; i < rawlen; i++) {
		raw[i] ^= 0x01;
		if (gh_b64url_encode(raw, rawlen, &forged) != GH_OK)
			abort();
		if (gh_aead_open(key, forged, "ad", 2, &pt, &ptlen) !=
		    GH_ERR_CRYPTO)
			all = 0;
		free(forged);
		raw[i] ^= 0x01;
	}
	CHECK(all, "aead detects a flipped bit anywhere");
	/* Truncations. */
	if (gh_b64url_encode(raw, rawlen - 1, &forged) != GH_OK)
		abort();
	CHECK(gh_aead_open(key, forged, "ad", 2, &pt, &ptlen) ==
	    GH_ERR_CRYPTO, "aead truncated tag");
	free(forged);
	if (gh_b64url_encode(raw, 27, &forged) != GH_OK)
		abort();
	CHECK(gh_aead_open(key, forged, "ad", 2, &pt, &ptlen) ==
	    GH_ERR_INVAL, "aead shorter than nonce+tag");
	free(forged);
	CHECK(gh_aead_open(key, "not base64!", "ad", 2, &pt, &ptlen) ==
	    GH_ERR_INVAL, "aead malformed");
	free(raw);
	free(sealed);
	free(sealed2);

	/* Empty plaintext. */
	CHECK(gh_aead_seal(key, "", 0, NULL, 0, &sealed) == GH_OK &&
	    gh_aead_open(key, sealed, NULL, 0, &pt, &ptlen) == GH_OK &&
	    ptlen == 0, "aead empty plaintext");
	free(pt);
	free(sealed);
}

static void
test_secret_key(void)
{
	enum { NPROC = 6 };
	unsigned char	 k1[GH_SECRET_KEY_LEN], k2[GH_SECRET_KEY_LEN];
	unsigned char	*shared;
	char		*dir = ct_tmpdir("crypto"), *path = NULL, *sub = NULL;
	struct stat	 st;
	pid_t		 pid[NPROC];
	int		 i, status, ok;

	if (asprintf(&sub, "%s/keys", dir) < 0 ||
	    asprintf(&path, "%s/keys/secret.key", dir) < 0)
		abort();
	CHECK(gh_secret_key_load(path, k1) == GH_OK, "secret key created");
	CHECK(stat(sub, &st) == 0 && (st.st_mode & 0777) == 0700,
	    "secret key dir mode 0700");
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 &&
	    st.st_size == GH_SECRET_KEY_LEN, "secret key file mode 0600");
	CHECK(gh_secret_key_load(path, k2) == GH_OK &&
	    memcmp(k1, k2, sizeof(k1)) == 0, "secret key stable");

	chmod(path, 0644);
	CHECK(gh_secret_key_load(path, k2) == GH_ERR_CRYPTO,
	    "secret key readable by others refused");
	ct_write_file(path, "short", 5, 0600);
	CHECK(gh_secret_key_load(path, k2) == GH_ERR_CRYPTO,
	    "secret key of the wrong size refused");
	unlink(path);

	/* Race: NPROC processes create the same missing key at once. */
	shared = mmap(NULL, NPROC * GH_SECRET_KEY_LEN, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		abort();
	memset(shared, 0, NPROC * GH_SECRET_KEY_LEN);
	for (i = 0; i < NPROC; i++) {
		if ((pid[i] = fork()) == 0)
			_exit(gh_secret_key_load(path,
			    shared + i * GH_SECRET_KEY_LEN) == GH_OK ? 0 : 1);
	}
	ok = 1;
	for (i = 0; i < NPROC; i++)
		if (waitpid(pid[i], &status, 0) != pid[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			ok = 0;
	CHECK(ok, "racing secret key loaders all succeed");
	CHECK(gh_secret_key_load(path, k1) == GH_OK, "secret key reload");
	ok = 1;
	for (i = 0; i < NPROC; i++)
		if (memcmp(shared + i * GH_SECRET_KEY_LEN, k1,
		    GH_SECRET_KEY_LEN) != 0)
			ok = 0;
	CHECK(ok, "racing secret key loaders agree on one key");
	munmap(shared, NPROC * GH_SECRET_KEY_LEN);

	/* No temporary files left behind. */
	{
		char	*cmd;
		FILE	*p;
		int	 count = -1;

		if (asprintf(&cmd, "ls -A '%s' | wc -l", sub) < 0)
			abort();
		if ((p = popen(cmd, "r")) != NULL) {
			if (fscanf(p, "%d", &count) != 1)
				count = -1;
			pclose(p);
		}
		free(cmd);
		CHECK(count == 1, "only the key file remains (%d)", count);
	}

	ct_rmtree(dir);
	free(path);
	free(sub);
	free(dir);
}

int
main(void)
{
	test_b64();
	test_hex();
	test_digests();
	test_compare();
	test_ids();
	test_aead();
	test_secret_key();
	return ct_done();
}
