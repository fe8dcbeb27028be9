# coco — build, test, install.  `make` builds ./coco; `make check` runs every
# test suite and ends with "N passed, N failed".
CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS := jansson libcap libseccomp
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/coco
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
VERSION := 0.1.0

# O is the build directory; SAN=1 builds with ASan+UBSan into build-asan.
ifeq ($(SAN),1)
O ?= build-asan
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
O ?= build
SANFLAGS :=
endif

CFLAGS ?= -O2 -g
override CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wformat=2 -Wshadow \
	-Wno-missing-field-initializers -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 \
	-fstack-protector-strong -DCOCO_VERSION='"$(VERSION)"' \
	-DCOCO_DATADIR='"$(DATADIR)"' $(SANFLAGS) \
	$(shell $(PKG_CONFIG) --cflags $(PKGS))
override LDFLAGS += $(SANFLAGS)
LDLIBS := $(shell $(PKG_CONFIG) --libs $(PKGS))

# coco itself links statically: on the launch path, loading three shared
# libraries costs more than everything coco does (bench/launch.sh).  The
# sanitizer build stays dynamic; STATIC=0 builds a dynamic coco.
ifeq ($(SAN),1)
STATIC ?= 0
else
STATIC ?= 1
endif
ifeq ($(STATIC),1)
COCO_LDFLAGS := -static
COCO_LDLIBS := $(shell $(PKG_CONFIG) --static --libs $(PKGS))
else
COCO_LDFLAGS :=
COCO_LDLIBS := $(LDLIBS)
endif

LIB_SRCS := $(sort $(wildcard src/*.c src/native/*.c src/net/*.c src/install/*.c))
LIB_OBJS := $(patsubst %.c,$(O)/%.o,$(LIB_SRCS))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst %.c,$(O)/%,$(UNIT_SRCS))
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAY := $(patsubst %.c,$(O)/%-replay,$(FUZZ_SRCS))
HELPER_SRCS := $(sort $(wildcard tests/helpers/*.c))
HELPER_BINS := $(patsubst %.c,$(O)/%,$(HELPER_SRCS))

ifeq ($(SAN),1)
COCO_BIN := $(O)/coco
else
COCO_BIN := coco
endif

.PHONY: all clean check check-unit check-fuzz check-integration check-asan \
	check-valgrind fuzz install uninstall bench tests-bin

all: $(COCO_BIN)

$(COCO_BIN): $(O)/coco.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) $(COCO_LDFLAGS) -o $@ $^ $(COCO_LDLIBS)

$(O)/%.o: %.c $(wildcard src/*.h src/native/*.h src/net/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc -I$(O)/gen -c -o $@ $<

# The seccomp filter is compiled from its table at build time
# (tools/gen_seccomp), so a sandbox only loads it.
SECCOMP_HDR := $(O)/gen/seccomp_bpf.h
# The same for the egress proxy's own filter (src/net/confine.c).
EGRESS_BPF_HDR := $(O)/gen/egress_bpf.h
$(O)/tools/gen_seccomp: tools/gen_seccomp.c $(O)/src/native/seccomp.o $(O)/src/net/confine.o $(O)/src/util.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(SECCOMP_HDR): $(O)/tools/gen_seccomp
	@mkdir -p $(dir $@)
	$(O)/tools/gen_seccomp $@
$(EGRESS_BPF_HDR): $(O)/tools/gen_seccomp
	@mkdir -p $(dir $@)
	$(O)/tools/gen_seccomp --egress $@
$(O)/src/native/seccomp_bpf.o: $(SECCOMP_HDR)
$(O)/src/net/confine_bpf.o: $(EGRESS_BPF_HDR)

$(O)/tests/unit/%: tests/unit/%.c $(LIB_OBJS) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc -Itests/unit $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS) -lcmocka

$(O)/tests/fuzz/%-replay: tests/fuzz/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS)

# The egress proxy's benchmark (bench/egress.sh), linked with coco's objects.
$(O)/bench/egress_bench: bench/egress_bench.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS)

# The install manifest's checks on a real tree (bench/verify.sh).
$(O)/bench/verify_bench: bench/verify_bench.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS)

# Helpers run inside sandboxes by the escape tests: static, no libc surprises.
$(O)/tests/helpers/%: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -static -o $@ $<

# The same objects linked dynamically, for memcheck (which cannot
# intercept malloc in a static binary).
$(O)/dynamic/coco: $(O)/coco.o $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

tests-bin: $(COCO_BIN) $(O)/dynamic/coco $(UNIT_BINS) $(FUZZ_REPLAY) $(HELPER_BINS)

TEST_ENV = COCO="$(abspath $(COCO_BIN))" COCO_DYNAMIC="$(abspath $(O)/dynamic/coco)" O="$(O)"

check: tests-bin
	$(TEST_ENV) tests/run.sh all

check-unit: tests-bin
	$(TEST_ENV) tests/run.sh unit

check-fuzz: tests-bin
	$(TEST_ENV) tests/run.sh fuzz

check-integration: tests-bin
	$(TEST_ENV) tests/run.sh integration

# ASan+UBSan: unit tests, fuzz replay and the integration suite against the
# sanitized binary.
check-asan:
	$(MAKE) SAN=1 check

# valgrind: unit tests and fuzz replay under memcheck, plus coco itself on
# the fast paths (dry-run, show, list, bad configs).
check-valgrind: tests-bin
	$(TEST_ENV) tests/run.sh valgrind

# libFuzzer builds (clang): make fuzz, then run build-fuzz/fuzz_config corpus/
FUZZ_O := build-fuzz
fuzz: $(SECCOMP_HDR) $(EGRESS_BPF_HDR)
	@mkdir -p $(FUZZ_O)
	for f in $(FUZZ_SRCS); do \
	  n=$$(basename $$f .c); \
	  clang -g -O1 -fsanitize=fuzzer,address,undefined -DCOCO_LIBFUZZER \
	    -std=gnu11 -D_GNU_SOURCE -DCOCO_VERSION='"$(VERSION)"' \
	    -DCOCO_DATADIR='"$(DATADIR)"' -Isrc -I$(O)/gen $$($(PKG_CONFIG) --cflags $(PKGS)) \
	    -o $(FUZZ_O)/$$n $$f $(LIB_SRCS) $(LDLIBS) || exit 1; \
	done

bench: $(COCO_BIN)
	bench/argv.sh

install: $(COCO_BIN)
	install -D -m 0755 $(COCO_BIN) $(DESTDIR)$(BINDIR)/coco
	mkdir -p $(DESTDIR)$(DATADIR)/store
	install -m 0644 store/*.json $(DESTDIR)$(DATADIR)/store/
	install -D -m 0644 image/Containerfile $(DESTDIR)$(DATADIR)/image/Containerfile
	install -D -m 0644 man/coco.1 $(DESTDIR)$(MANDIR)/man1/coco.1
	install -D -m 0644 man/coco.json.5 $(DESTDIR)$(MANDIR)/man5/coco.json.5
	install -D -m 0644 completions/coco.bash $(DESTDIR)$(BASHCOMPDIR)/coco

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/coco $(DESTDIR)$(MANDIR)/man1/coco.1 \
	  $(DESTDIR)$(MANDIR)/man5/coco.json.5 $(DESTDIR)$(BASHCOMPDIR)/coco
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build build-asan build-fuzz coco
