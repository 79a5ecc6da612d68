# ackbeat - hand-written Makefile.
#
#   make              build ./ackbeat
#   make check        install what the tests need, build, run every test
#   make check SAN=1  the same under AddressSanitizer + UBSan
#   make demo         run the embedded demo (SQLite state, demo DB, Maildir)
#   make bench        run the benchmarks, figures beside their baselines
#   make fuzz         run each libFuzzer target for FUZZ_TIME seconds (clang)
#   make lint         cppcheck, banned functions, exported-symbol prefixes,
#                     module layers and call loops (scripts/check-layers),
#                     function and file lengths (scripts/check-funcs)
#   make install      honours PREFIX and DESTDIR
#
# Each top-level folder is one module and builds into build/lib<module>.a;
# a unit test links only the archives it needs, so one module's tests run
# even while another module is half-written.

VERSION   := 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
DATADIR   ?= $(PREFIX)/share/ackbeat
MANDIR    ?= $(PREFIX)/share/man
UNITDIR   ?= $(PREFIX)/lib/systemd/system
SYSLIBDIR ?= $(PREFIX)/lib
CC        ?= cc
SAN       ?=
FUZZ_TIME ?= 60

PKGS := libxml-2.0 libcurl sqlite3 libical odbc gmime-3.0 libmicrohttpd \
        jansson libsystemd libcrypto libpq
# DKIM signing (mailer/mail_dkim.c); the key checks call OpenSSL directly.
PKGS += opendkim libcrypto

ifeq ($(SAN),1)
B := build/san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
            -fno-omit-frame-pointer
else
B := build
SANFLAGS :=
endif

# Modules, lowest layer last.  The link takes the archives in this order
# and needs no --start-group: an archive only calls archives after it
# (docs/layers holds the arrows, and make lint checks them).
MODULES := web engine channels checks inbox mailer config store templates schedules common

WARN   := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
          -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
# Truncating snprintf is how we bound log and error text; gcc's warning
# about it is noise here (clang has no such warning).
ifeq ($(findstring clang,$(shell $(CC) --version 2>/dev/null | head -1)),)
WARN   += -Wno-format-truncation
endif
# The module folders are include roots: code says #include "store/store.h".
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c17 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SANFLAGS) -I. \
             -DAB_VERSION='"$(VERSION)"' -DAB_DATADIR='"$(DATADIR)"' \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -MMD -MP
LDLIBS_ALL = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ldl -lm -lpthread -lcrypt
# The daemon itself is not linked with the libraries it opens at their
# first use (common/ab_dl.h: libcurl, libpq, libmicrohttpd, unixODBC,
# OpenDKIM, GMime, libical, libcrypto) nor with libsystemd (common/ab_notify.c speaks its protocol):
# a config that does not use them does not pay for them in memory.
# Tests and benchmarks keep LDLIBS_ALL (they call some of them directly).
DL_PKGS    := libcurl libpq libmicrohttpd odbc opendkim libsystemd gmime-3.0 \
              libical libcrypto
LDLIBS_ACK = $(shell pkg-config --libs $(filter-out $(DL_PKGS),$(PKGS)) 2>/dev/null) \
             -ldl -lm -lpthread -lcrypt
# Under the sanitizers the daemon is linked with all of them, so that they
# are mapped at exec (their thread-local storage static) and the loader
# finds each already there: LeakSanitizer's scan at exit walks the
# dynamic TLS of libraries opened by dlopen, and now and then its tracer
# crashes there ("Tracer caught signal 11", a tick's output lost; seen in
# t_61 and t_62 in CI runs).  The code under test is the same.
ifeq ($(SAN),1)
LDLIBS_ACK = $(LDLIBS_ALL)
endif

mod_srcs = $(wildcard $(1)/*.c)
mod_objs = $(patsubst %.c,$(B)/%.o,$(call mod_srcs,$(1)))
LIBS     := $(foreach m,$(MODULES),$(B)/lib$(m).a)
CLI_OBJS := $(patsubst %.c,$(B)/%.o,$(wildcard cli/*.c))

.PHONY: all check check-run demo demo-run bench fuzz lint install clean \
        unit deps deps-test symbols
all: ackbeat

ackbeat: $(B)/ackbeat
	@[ "$(B)" = build ] && cp $< $@ || true

$(B)/ackbeat: $(CLI_OBJS) $(LIBS)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $(CLI_OBJS) $(LIBS) $(LDLIBS_ACK) -rdynamic

define MODULE_RULE
$(B)/lib$(1).a: $(call mod_objs,$(1))
	@mkdir -p $$(@D)
	@rm -f $$@
	$(Q)ar rcs $$@ $$^
endef
$(foreach m,$(MODULES),$(eval $(call MODULE_RULE,$(m))))

# The config schema is compiled into the binary: validation must not
# depend on finding a file at run time.
$(B)/config/ackbeat_rng.c: config/ackbeat.rng scripts/embed
	@mkdir -p $(@D)
	scripts/embed cfg_schema_rng $< > $@
$(B)/config/ackbeat_rng.o: $(B)/config/ackbeat_rng.c
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<
$(B)/libconfig.a: $(B)/config/ackbeat_rng.o

# V=1 shows the whole command lines.
ifeq ($(V),1)
Q :=
else
Q := @
endif

$(B)/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# --- tests ---------------------------------------------------------------
# tests/unit/test_NAME.c -> $(B)/tests/test_NAME.  By default a test links
# every module; a test may narrow that with test_NAME_MODS in tests/unit.mk
# (in any order: the link takes them in MODULES order).
-include tests/unit.mk
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRCS))
HARNESS    := $(B)/tests/unit/harness.o
TEST_HELPER_BINS := $(patsubst tests/helpers/%.c,$(B)/tests/helpers/%,$(wildcard tests/helpers/*.c))

unit_mods = $(filter $(or $($(1)_MODS),$(MODULES)),$(MODULES))
define UNIT_RULE
$(B)/tests/$(1): $(B)/tests/unit/$(1).o $(HARNESS) \
    $(foreach m,$(call unit_mods,$(1)),$(B)/lib$(m).a)
	@mkdir -p $$(@D)
	@$(if $(Q),echo "  LINK    $$@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $$@ $(B)/tests/unit/$(1).o $(HARNESS) \
	    $(foreach m,$(call unit_mods,$(1)),$(B)/lib$(m).a) \
	    $(LDLIBS_ALL) -rdynamic
endef
$(foreach t,$(patsubst tests/unit/%.c,%,$(UNIT_SRCS)),$(eval $(call UNIT_RULE,$(t))))

# The inbox helper drives libinbox directly (integration test, benchmark).
INBOX_TOOL_LIBS := $(B)/libinbox.a $(B)/libstore.a $(B)/libcommon.a
$(B)/tests/helpers/inbox_tool: tests/helpers/inbox_tool.c $(INBOX_TOOL_LIBS)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(INBOX_TOOL_LIBS) $(LDLIBS_ALL)

# The mailer helper drives libmailer's outbox directly (integration test, benchmark).
OUTBOX_TOOL_LIBS := $(B)/libmailer.a $(B)/libstore.a $(B)/libconfig.a $(B)/libcommon.a
$(B)/tests/helpers/outbox_tool: tests/helpers/outbox_tool.c $(OUTBOX_TOOL_LIBS)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(OUTBOX_TOOL_LIBS) $(LDLIBS_ALL)

$(B)/tests/helpers/%: tests/helpers/%.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LDLIBS_ALL)

unit: $(UNIT_BINS)

deps:
	@scripts/install-deps build
deps-test:
	@scripts/install-deps test

# check installs first, then re-enters make so that pkg-config sees the
# freshly installed libraries.
check: deps-test
	@$(MAKE) --no-print-directory check-run

check-run: $(B)/ackbeat $(UNIT_BINS) $(TEST_HELPER_BINS) plugins build/fuzz/ackbeat_rng.c
	@B=$(B) SAN=$(SAN) VALGRIND=$(VALGRIND) $(if $(AB_SUITES),AB_SUITES="$(AB_SUITES)") \
	    tests/run-all

demo: deps
	@$(MAKE) --no-print-directory demo-run

demo-run: $(B)/ackbeat
	@B=$(B) demo/run-demo

BENCH_BINS := $(patsubst bench/%.c,$(B)/bench/%,$(wildcard bench/bench_*.c))
$(B)/bench/%: bench/%.c $(LIBS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBS) $(LDLIBS_ALL) -rdynamic

bench: deps-test
	@scripts/install-deps bench
	@$(MAKE) --no-print-directory $(B)/ackbeat plugins $(BENCH_BINS) $(TEST_HELPER_BINS)
	@B=$(B) bench/run-all

# --- soak: a simulated year, memory and fds (minutes; not in make check) --
.PHONY: soak
$(B)/tests/soak/soak_driver: tests/soak/soak_driver.c $(LIBS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBS) $(LDLIBS_ALL) -rdynamic
soak: $(B)/ackbeat $(B)/tests/soak/soak_driver
	@B=$(B) tests/soak/run

# --- plugins built from the repo (example plugin, test plugins) ----------
PLUGIN_SRCS := $(wildcard checks/plugins/*.c tests/plugins/*.c)
PLUGIN_SOS  := $(patsubst %.c,$(B)/%.so,$(PLUGIN_SRCS))
plugins: $(PLUGIN_SOS)
$(B)/checks/plugins/%.so: checks/plugins/%.c checks/plugin.h
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -shared -o $@ $<
$(B)/tests/plugins/%.so: tests/plugins/%.c checks/plugin.h
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -shared -o $@ $<

# --- fuzzing (clang + libFuzzer) ----------------------------------------
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
fuzz: deps-test build/fuzz/ackbeat_rng.c
	@FUZZ_TIME=$(FUZZ_TIME) tests/fuzz/run $(FUZZ_SRCS)
# fuzz_config links the embedded schema (its fuzz-sources line names this).
build/fuzz/ackbeat_rng.c: config/ackbeat.rng scripts/embed
	@mkdir -p $(@D)
	scripts/embed cfg_schema_rng $< > $@

# --- lint ----------------------------------------------------------------
BANNED := strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|strtok|mktemp|tmpnam
lint: $(LIBS)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	    --inline-suppr --suppress=missingIncludeSystem -I. \
	    $(addsuffix /,$(MODULES)) cli/
	@! grep -nE '\b($(BANNED))\s*\(' $(foreach m,$(MODULES) cli,$(m)/*.c $(m)/*.h) \
	    2>/dev/null || { echo "lint: banned function used (see above)"; exit 1; }
	@scripts/check-symbols $(B)
	@scripts/check-layers
	@scripts/check-layers --loops $(B)
	@scripts/check-funcs
	@# wait_until runs its command again until it holds; a "$$(...)" among
	@# its arguments is made once, before the first try, and never again.
	@! grep -nE 'wait_until [0-9]+ [^\\]*\$$\(' tests/integration/t_*.sh || \
	    { echo "lint: wait_until's arguments are made once: put the \$$(...) in a function"; exit 1; }

symbols: $(LIBS)
	@scripts/check-symbols $(B)

# --- the Debian package ----------------------------------------------------
# make deb: the .deb of commit DEB_FROM (default HEAD: what a fresh clone
# has), built in a copy ($(B)/deb/src) so that debian/rules' clean never
# touches the tree's own build folders; DEB_FROM=worktree packages the
# tracked files as they are in the work tree.  Outside a git checkout
# (a tarball) the folder itself is copied.  The package, the build log and
# lintian's report land in $(B)/deb.
DEB_FROM ?= HEAD
.PHONY: deb
deb:
	@scripts/install-deps package
	rm -rf $(B)/deb
	mkdir -p $(B)/deb/src
	if [ ! -e .git ]; then tar -cf - --exclude=./build --exclude=./ackbeat . | tar -xf - -C $(B)/deb/src; \
	elif [ "$(DEB_FROM)" = worktree ]; then git ls-files -z | xargs -0 tar -cf - | tar -xf - -C $(B)/deb/src; \
	else git archive --format=tar "$(DEB_FROM)" | tar -xf - -C $(B)/deb/src; fi
	cd $(B)/deb/src && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL dpkg-buildpackage -us -uc -b -j$$(nproc) >../build.log 2>&1 || \
	    { tail -n 40 ../build.log; exit 1; }
	lintian --fail-on error,warning $(B)/deb/ackbeat_*.deb | tee $(B)/deb/lintian.txt
	@ls $(B)/deb/*.deb

# --- install -------------------------------------------------------------
install: $(B)/ackbeat
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/templates/default \
	    $(DESTDIR)$(DATADIR)/web/pages $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 755 $(B)/ackbeat $(DESTDIR)$(BINDIR)/ackbeat
	install -m 644 config/ackbeat.rng $(DESTDIR)$(DATADIR)/ackbeat.rng
	install -m 644 templates/default/* $(DESTDIR)$(DATADIR)/templates/default/
	install -m 644 web/pages/*.mustache $(DESTDIR)$(DATADIR)/web/pages/
	install -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/bin/ackbeat|$(BINDIR)/ackbeat|g' systemd/ackbeat.service \
	    > $(DESTDIR)$(UNITDIR)/ackbeat.service
	chmod 644 $(DESTDIR)$(UNITDIR)/ackbeat.service
	# What the Debian package does at install, for a site to run after
	# this (README, "Running it as a service"): the ackbeat user, its
	# 0700 state folder, and an example configuration to start from.
	install -d $(DESTDIR)$(SYSLIBDIR)/sysusers.d $(DESTDIR)$(SYSLIBDIR)/tmpfiles.d
	install -m 644 debian/ackbeat.sysusers $(DESTDIR)$(SYSLIBDIR)/sysusers.d/ackbeat.conf
	install -m 644 debian/ackbeat.tmpfiles $(DESTDIR)$(SYSLIBDIR)/tmpfiles.d/ackbeat.conf
	install -m 644 debian/ackbeat.xml $(DESTDIR)$(DATADIR)/ackbeat.xml.example

clean:
	rm -rf build ackbeat

-include $(shell find build -name '*.d' 2>/dev/null)
