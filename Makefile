# kpki — offline PKI toolkit for kubeadm external-CA workflows.
#
#   make             build libpki (static and shared) and the tools
#   make check       unit tests (Check), fuzz corpus replay, end-to-end tests
#   make asan        the same suite under AddressSanitizer and UBSan
#   make demo        the bundled example, in a scratch directory
#   make install     PREFIX=/usr/local DESTDIR= ; make uninstall

VERSION   := 0.1.0
SOVERSION := 0

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DATADIR    ?= $(PREFIX)/share
MANDIR     ?= $(DATADIR)/man
PKGDATADIR ?= $(DATADIR)/kpki
DESTDIR    ?=

CC         ?= cc
PKG_CONFIG ?= pkg-config
B          ?= build

DEPS_PKGS := gnutls libtasn1 yaml-0.1 popt
DEPS_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(DEPS_PKGS) 2>/dev/null)
DEPS_LIBS   := $(shell $(PKG_CONFIG) --libs $(DEPS_PKGS) 2>/dev/null)
CHECK_CFLAGS := $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell $(PKG_CONFIG) --libs check 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wvla -Werror
ifeq ($(SANITIZE),1)
HARDEN := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
LDHARDEN := -fsanitize=address,undefined
else
HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong
LDHARDEN :=
endif
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=gnu11 $(WARN) $(HARDEN) -fPIC $(CFLAGS) \
	-Ilibpki/include -Ilibpki $(DEPS_CFLAGS) \
	-DPKI_VERSION='"$(VERSION)"' \
	-DPKI_TEMPLATES_DIR='"$(PKGDATADIR)/templates"'
ALL_LDFLAGS := -pie -Wl,-z,relro,-z,now $(LDHARDEN) $(LDFLAGS)

LIB_SRCS  := $(sort $(wildcard libpki/*.c))
LIB_OBJS  := $(LIB_SRCS:libpki/%.c=$(B)/libpki/%.o)
TOOLS     := $(basename $(notdir $(wildcard tools/kpki-*.c)))
TOOL_BINS := $(TOOLS:%=$(B)/%)
TESTS     := $(basename $(notdir $(wildcard tests/check_*.c)))
TEST_BINS := $(TESTS:%=$(B)/tests/%)
FUZZERS   := $(basename $(notdir $(wildcard fuzz/fuzz_*.c)))
FUZZ_BINS := $(FUZZERS:%=$(B)/fuzz/%)
HEADERS   := $(wildcard libpki/include/pki/*.h)

STATIC_LIB := $(B)/libpki.a
SHARED_LIB := $(B)/libpki.so.$(VERSION)
SONAME     := libpki.so.$(SOVERSION)

.PHONY: all check unit fuzz-replay e2e asan demo install uninstall clean deps
all: $(STATIC_LIB) $(SHARED_LIB) $(TOOL_BINS)

$(B)/libpki/%.o: libpki/%.c $(HEADERS) libpki/internal.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(STATIC_LIB): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(SHARED_LIB): $(LIB_OBJS)
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,-z,relro,-z,now $(LDHARDEN) \
		$(LDFLAGS) -o $@ $^ $(DEPS_LIBS)
	ln -sf $(notdir $@) $(B)/$(SONAME)
	ln -sf $(SONAME) $(B)/libpki.so

$(B)/kpki-%: tools/kpki-%.c tools/tool.h $(STATIC_LIB) $(HEADERS)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(STATIC_LIB) $(DEPS_LIBS)

$(B)/tests/check_%: tests/check_%.c tests/testutil.h $(STATIC_LIB) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) $(ALL_LDFLAGS) -o $@ $< \
		$(STATIC_LIB) $(DEPS_LIBS) $(CHECK_LIBS)

# Each fuzz target gets a plain replay main so that its corpus runs here
# without a fuzzer.
$(B)/fuzz/fuzz_%: fuzz/fuzz_%.c fuzz/replay.c $(STATIC_LIB) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< fuzz/replay.c \
		$(STATIC_LIB) $(DEPS_LIBS)

TEST_ENV := KPKI_TEMPLATES_DIR=$(CURDIR)/templates KPKI_TESTDATA=$(CURDIR)/tests/data \
	KPKI_BIN=$(CURDIR)/$(B) CK_DEFAULT_TIMEOUT=60

check: unit fuzz-replay e2e

unit: $(TEST_BINS)
	@set -e; for t in $(TEST_BINS); do echo "== $$t"; $(TEST_ENV) $$t; done

fuzz-replay: $(FUZZ_BINS)
	@set -e; for f in $(FUZZERS); do \
		echo "== $$f"; $(B)/fuzz/$$f fuzz/corpus/$${f#fuzz_}; done

# The end-to-end tests run the tools as installed (into a staging root).
STAGE := $(CURDIR)/$(B)/stage
e2e: all
	@rm -rf $(STAGE)
	@$(MAKE) --no-print-directory -s install DESTDIR=$(STAGE) PREFIX=/usr/local >/dev/null
	@KPKI_TEMPLATES_DIR=$(STAGE)/usr/local/share/kpki/templates \
		KPKI_TESTDATA=$(CURDIR)/tests/data KPKI_BIN=$(STAGE)/usr/local/bin \
		KPKI_STAGE=$(STAGE) KPKI_TOP=$(CURDIR) KPKI_LDFLAGS='$(LDHARDEN)' \
		sh tests/e2e/run.sh

asan:
	$(MAKE) B=build-asan SANITIZE=1 CFLAGS='-O1 -g' check

demo: all
	@$(TEST_ENV) sh examples/demo.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(INCLUDEDIR)/pki $(DESTDIR)$(PKGDATADIR)/templates \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 0755 $(TOOL_BINS) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(STATIC_LIB) $(DESTDIR)$(LIBDIR)/
	install -m 0755 $(SHARED_LIB) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(SHARED_LIB)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libpki.so
	install -m 0644 $(HEADERS) $(DESTDIR)$(INCLUDEDIR)/pki/
	install -m 0644 templates/*.yaml $(DESTDIR)$(PKGDATADIR)/templates/
	install -m 0644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1/
	$(if $(wildcard man/*.5),install -m 0644 $(wildcard man/*.5) $(DESTDIR)$(MANDIR)/man5/)
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|' \
		libpki/kpki.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/kpki.pc

uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(BINDIR)/%)
	rm -f $(DESTDIR)$(LIBDIR)/libpki.a $(DESTDIR)$(LIBDIR)/$(notdir $(SHARED_LIB)) \
		$(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libpki.so \
		$(DESTDIR)$(LIBDIR)/pkgconfig/kpki.pc
	rm -rf $(DESTDIR)$(INCLUDEDIR)/pki $(DESTDIR)$(PKGDATADIR)
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(wildcard man/*.1))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(wildcard man/*.5)))

clean:
	rm -rf build build-asan
