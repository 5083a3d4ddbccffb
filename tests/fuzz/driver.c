/*
 * driver.c: runs a libFuzzer target over files without libFuzzer, so the
 * seed corpus is replayed by every `make test` (with gcc, under ASan in
 * check-asan).  `make fuzz` builds the same targets with clang's libFuzzer.
 * Prints "N passed, N failed": one case per input file; a crash fails the
 * whole program, as it should.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

int
main(int argc, char **argv)
{
	int	 i, passed = 0, failed = 0;
	FILE	*f;
	char	*buf;
	long	 n;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if ((f = fopen(argv[i], "rb")) == NULL) {
			failed++;
			continue;
		}
		fseek(f, 0, SEEK_END);
		n = ftell(f);
		rewind(f);
		if (n < 0 || (buf = malloc((size_t)n + 1)) == NULL ||
		    fread(buf, 1, (size_t)n, f) != (size_t)n) {
			fclose(f);
			failed++;
			continue;
		}
		fclose(f);
		LLVMFuzzerTestOneInput((const uint8_t *)buf, (size_t)n);
		free(buf);
		passed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0 || passed == 0;
}
