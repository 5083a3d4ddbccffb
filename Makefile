# gatehouse: build, run and test.  Build settings live here, once; local
# overrides go in an optional Makefile.local (not committed).
#
#   make            FastCGI programs -> cgi-bin/, admin tool -> bin/, frontends -> htdocs/
#   make run        serve on http://127.0.0.1:$(PORT) (SERVER=lighttpd|apache)
#   make test       every suite; last line "N passed, N failed"
#   make check-asan unit + end-to-end suites built with ASan+UBSan
#   make valgrind   unit suite under valgrind
#   make bench      benchmark report (wrk through lighttpd)
#   make lambda     build/lambda/gatehouse-triggers.zip, the triggers for AWS Lambda
#   make fuzz       libFuzzer on every parser of untrusted bytes, FUZZ_SECONDS each

PORT	?= 8080
SERVER	?= lighttpd
STORE	?= sqlite
IDP	?= embedded

CC	?= cc
PKGS	 = fcgi json-c libjwt openssl libcurl sqlite3 libargon2
CPPFLAGS += -D_GNU_SOURCE -Isrc/lib -I$(B)/gen
# The shipped data (the common-password list) as found by the programs.
CPPFLAGS += -DGH_DATA_DIR='"$(CURDIR)/src/data"'
CFLAGS	?= -O2 -g
CFLAGS	+= -std=c11 -Wall -Wextra -Wno-unused-parameter -Wshadow -Wstrict-prototypes \
	   -Wformat=2 -fstack-protector-strong -fno-strict-aliasing
LDLIBS	+= $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

# BUILD=asan builds a sanitized tree under build/asan (used by check-asan).
BUILD	?= release
ifeq ($(BUILD),asan)
CFLAGS	+= -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS	+= -fsanitize=address,undefined
endif
B	 = build/$(BUILD)
ifeq ($(BUILD),release)
CGI	 = cgi-bin
BIN	 = bin
else
CGI	 = $(B)/cgi-bin
BIN	 = $(B)/bin
endif

-include Makefile.local

LIB_SRCS   := $(wildcard src/lib/*.c)
LIB_OBJS   := $(LIB_SRCS:src/lib/%.c=$(B)/lib/%.o) $(B)/gen/migrations.o
LIB	    = $(B)/libgatehouse.a
ROUTE_SRCS := $(wildcard src/routes/*.c)
ROUTES	   := $(ROUTE_SRCS:src/routes/%.c=$(CGI)/%)
TOOL_SRCS  := $(wildcard src/tools/*.c)
TOOLS	   := $(TOOL_SRCS:src/tools/%.c=$(BIN)/%)
TEST_SRCS  := $(wildcard tests/test-*.c)
TESTS	   := $(TEST_SRCS:tests/%.c=$(B)/tests/%)
FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz-*.c)
FUZZERS	   := $(FUZZ_SRCS:tests/fuzz/%.c=$(B)/tests/%)
FUZZ_SECONDS ?= 60
SQL	   := $(sort $(wildcard sql/[0-9]*.sql))
HDRS	   := $(wildcard src/lib/*.h)
LAMBDA	    = build/lambda

.PHONY: all programs frontends deps deps-check run test unit check-asan valgrind bench fuzz lambda clean distclean

all: programs frontends

programs: deps-check $(ROUTES) $(TOOLS) $(TESTS) $(FUZZERS) $(B)/tests/iac-names

$(B)/lib/%.o: src/lib/%.c $(HDRS) | $(B)/lib $(B)/gen/migrations.c
	$(CC) $(CPPFLAGS) $(CFLAGS) $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -c -o $@ $<

$(B)/gen/migrations.c: $(SQL) src/scripts/embed-sql.sh | $(B)/gen
	sh src/scripts/embed-sql.sh $(SQL) > $@.tmp && mv $@.tmp $@

$(B)/gen/migrations.o: $(B)/gen/migrations.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(CGI)/%: src/routes/%.c $(LIB) $(HDRS) | $(CGI)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(BIN)/%: src/tools/%.c $(LIB) $(HDRS) | $(BIN)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(B)/tests/%: tests/%.c $(LIB) $(HDRS) $(wildcard tests/*.h) | $(B)/tests
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# Fuzz targets, built with a replay driver: make test runs their corpus.
$(B)/tests/fuzz-%: tests/fuzz/fuzz-%.c tests/fuzz/driver.c $(LIB) $(HDRS) | $(B)/tests
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/driver.c $(LIB) $(LDLIBS)

# The same targets under clang's libFuzzer, FUZZ_SECONDS each (not in make test).
fuzz: deps-check $(B)/gen/migrations.c
	@mkdir -p build/fuzz
	@for t in $(FUZZ_SRCS:tests/fuzz/%.c=%); do \
	  clang $(CPPFLAGS) -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
	    $$(pkg-config --cflags $(PKGS)) -o build/fuzz/$$t tests/fuzz/$$t.c \
	    $(LIB_SRCS) $(B)/gen/migrations.c $(LDLIBS) || exit 1; \
	  mkdir -p build/fuzz/$$t-corpus; \
	  build/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) build/fuzz/$$t-corpus \
	    tests/fuzz/corpus-$${t#fuzz-} || exit 1; \
	done

# The SSO end-to-end cases' identities (tokens signed with the server's key).
programs: $(B)/tests/e2e-fixture
$(B)/tests/e2e-fixture: tests/e2e/fixture.c $(LIB) $(HDRS) | $(B)/tests
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# The benchmark's baseline: a FastCGI responder that does nothing.
$(B)/bench/noop-fcgi: tests/bench/noop-fcgi.c | $(B)/bench
	$(CC) $(CFLAGS) $(shell pkg-config --cflags fcgi) $(LDFLAGS) -o $@ $< $(shell pkg-config --libs fcgi)

# The triggers as an AWS Lambda function (custom runtime provided.al2023):
# bootstrap + the shared libraries it needs, see README "AWS mode".
lambda: deps-check $(LAMBDA)/gatehouse-triggers.zip

$(LAMBDA)/gatehouse-triggers.zip: src/tools/lambda-bootstrap.c $(LIB) $(HDRS) src/scripts/lambda-package.sh
	@mkdir -p $(LAMBDA)/stage
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -Wl,--as-needed -Wl,-rpath,'$$ORIGIN/lib' \
	    -o $(LAMBDA)/stage/bootstrap src/tools/lambda-bootstrap.c $(LIB) $(LDLIBS)
	sh src/scripts/lambda-package.sh $(LAMBDA)/stage $@

# The code's names for the infrastructure check (tests/suites/iac.sh).
$(B)/tests/iac-names: tests/iac/iac-names.c $(LIB) $(HDRS) | $(B)/tests
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# The verifier micro-benchmark (make bench runs it after wrk).
$(B)/bench/bench-verify: tests/bench/bench-verify.c $(LIB) $(HDRS) | $(B)/bench
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(B)/lib $(B)/gen $(B)/tests $(B)/bench $(CGI) $(BIN):
	mkdir -p $@

# Frontends: built by npm into htdocs/ when their sources exist.
frontends:
	@if [ -f web/package.json ]; then sh src/scripts/build-frontends.sh; fi

# Installs what is missing: Debian packages (as root or with sudo), npm packages.
deps:
	@sh src/scripts/deps.sh

deps-check:
	@pkg-config --exists $(PKGS) || sh src/scripts/deps.sh

run: deps all
	@PORT=$(PORT) SERVER=$(SERVER) STORE=$(STORE) IDP=$(IDP) sh src/scripts/run.sh

test: deps all
	@sh tests/run-all.sh

unit: programs
	@sh tests/run-unit.sh $(B)

check-asan: deps
	$(MAKE) BUILD=asan programs
	@BUILD=asan sh tests/run-all.sh --no-browser

valgrind: deps programs
	@VALGRIND=1 sh tests/run-unit.sh $(B)

bench: deps all $(B)/bench/noop-fcgi $(B)/bench/bench-verify
	@sh tests/bench/run.sh

clean:
	rm -rf build bin
	find cgi-bin -mindepth 1 ! -name README ! -name .gitignore -exec rm -rf {} +

distclean: clean
	rm -rf var node_modules web/node_modules htdocs/*
