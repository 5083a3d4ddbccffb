/*
 * tests.h: the few lines every unit test program shares.  T() records one
 * case, printing "ok"/"FAIL" with its description; tests_done() prints the
 * closing "N passed, N failed" line and returns the exit status.
 */
#ifndef GH_TESTS_H
#define GH_TESTS_H

#include <stdio.h>

static int tests_passed, tests_failed;

#define T(cond, ...) do {						\
	if (cond) {							\
		tests_passed++;						\
		printf("ok   ");					\
	} else {							\
		tests_failed++;						\
		printf("FAIL %s:%d: ", __FILE__, __LINE__);		\
	}								\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	fflush(stdout);							\
} while (0)

static inline int
tests_done(void)
{
	printf("%d passed, %d failed\n", tests_passed, tests_failed);
	return tests_failed == 0 && tests_passed > 0 ? 0 : 1;
}

#endif /* GH_TESTS_H */
