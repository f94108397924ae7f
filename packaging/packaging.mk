# Packaging rules, included by the top Makefile (include packaging/packaging.mk):
#
#   make install      binaries, units, sysusers/tmpfiles, man pages, bash
#                     completion and the config file, under DESTDIR and the
#                     directory variables below (PREFIX defaults to /usr/local)
#   make deb          a Debian package in build-deb/ (dpkg-buildpackage from
#                     packaging/debian; installs debhelper, dpkg-dev and
#                     lintian when missing), then lintian on it
#   make check-units  systemd-analyze verify and security on the units
#
# It also works on its own, which debian/rules uses:
#   make -f packaging/packaging.mk install-files BUILD=... DESTDIR=...
# install-files needs only the two binaries; install depends on all.

BUILD ?= build
DAEMON ?= $(BUILD)/vibe-schedd
CLIENT ?= $(BUILD)/vibectl
VERSION ?= $(shell sed -n 's/^VERSION := *//p' Makefile)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSTEMDUSERUNITDIR ?= $(PREFIX)/lib/systemd/user
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

# The units, config and tmpfiles name the packaged paths; rewrite them for
# the chosen directories.
PKG_SUBST = sed -e 's|/usr/sbin/vibe-schedd|$(SBINDIR)/vibe-schedd|g' \
	-e 's|/etc/vibe-schedd|$(SYSCONFDIR)/vibe-schedd|g'

# Exposure ceilings of systemd-analyze security (0-100 scale: 79 is 7.9).
# Debian 12's cron.service scores 96.
UNIT_EXPOSURE_MAX ?= 79
USER_UNIT_EXPOSURE_MAX ?= 25

DEB_DIR ?= build-deb
DEB_SRC = $(DEB_DIR)/vibe-schedd-$(VERSION)
DEB_TOOLS = debhelper dpkg-dev lintian
DEB_BUILD_DEPS = libevent-dev libjansson-dev libsystemd-dev pkg-config
DEB_SOURCES = Makefile README.md vibe-schedd.service proto store daemon \
	client packaging docs

.PHONY: install install-files deb check-units

install: all install-files

install-files: $(DAEMON) $(CLIENT)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSTEMDUSERUNITDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(SYSCONFDIR)/vibe-schedd/pipelines
	install -m 0755 $(DAEMON) $(DESTDIR)$(SBINDIR)/vibe-schedd
	install -m 0755 $(CLIENT) $(DESTDIR)$(BINDIR)/vibectl
	$(PKG_SUBST) vibe-schedd.service >$(DESTDIR)$(SYSTEMDUNITDIR)/vibe-schedd.service
	$(PKG_SUBST) packaging/vibe-schedd.socket >$(DESTDIR)$(SYSTEMDUNITDIR)/vibe-schedd.socket
	$(PKG_SUBST) packaging/vibe-schedd-user.service >$(DESTDIR)$(SYSTEMDUSERUNITDIR)/vibe-schedd.service
	$(PKG_SUBST) packaging/vibe-schedd-user.socket >$(DESTDIR)$(SYSTEMDUSERUNITDIR)/vibe-schedd.socket
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/vibe-schedd.* $(DESTDIR)$(SYSTEMDUSERUNITDIR)/vibe-schedd.*
	install -m 0644 packaging/sysusers.d/vibe-schedd.conf $(DESTDIR)$(SYSUSERSDIR)/vibe-schedd.conf
	$(PKG_SUBST) packaging/tmpfiles.d/vibe-schedd.conf >$(DESTDIR)$(TMPFILESDIR)/vibe-schedd.conf
	chmod 0644 $(DESTDIR)$(TMPFILESDIR)/vibe-schedd.conf
	install -m 0644 packaging/man/vibectl.1 $(DESTDIR)$(MANDIR)/man1/vibectl.1
	install -m 0644 packaging/man/vibe-schedd.conf.5 $(DESTDIR)$(MANDIR)/man5/vibe-schedd.conf.5
	install -m 0644 packaging/man/vibe-schedd.8 $(DESTDIR)$(MANDIR)/man8/vibe-schedd.8
	install -m 0644 packaging/completion/vibectl $(DESTDIR)$(BASHCOMPDIR)/vibectl
	@conf=$(DESTDIR)$(SYSCONFDIR)/vibe-schedd/vibe-schedd.conf; \
	if [ -e "$$conf" ]; then \
		echo "keeping $$conf; the new default is $$conf.new"; \
		$(PKG_SUBST) packaging/vibe-schedd.conf >"$$conf.new"; \
	else \
		echo "installing $$conf"; \
		$(PKG_SUBST) packaging/vibe-schedd.conf >"$$conf"; \
		chmod 0644 "$$conf"; \
	fi

# dpkg-buildpackage needs debian/ at the top of a source tree: copy the
# sources and packaging/debian into $(DEB_SRC) and build there, so the
# work tree is left alone. The .deb lands in $(DEB_DIR).
deb: all
	@./tests/ensure-deps.sh $(DEB_TOOLS) $(DEB_BUILD_DEPS)
	@v=$$(dpkg-parsechangelog -l packaging/debian/changelog -S Version); \
	if [ "$$v" != "$(VERSION)" ]; then \
		echo "packaging/debian/changelog is at $$v but VERSION is $(VERSION): add a changelog entry (dch -v $(VERSION))" >&2; \
		exit 1; \
	fi
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_SRC)
	tar -cf - $(DEB_SOURCES) | tar -xf - -C $(DEB_SRC)
	cp -R packaging/debian $(DEB_SRC)/debian
	cd $(DEB_SRC) && dpkg-buildpackage -b -us -uc -j2
	rm -rf $(DEB_SRC)
	@echo "--- lintian"
	lintian --fail-on error $(DEB_DIR)/*.deb
	@ls -l $(DEB_DIR)/*.deb

# verify needs the ExecStart binary: check copies that run the built one.
check-units: $(DAEMON)
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	mkdir -p "$$tmp/system" "$$tmp/user" "$$tmp/xdg"; chmod 700 "$$tmp/xdg"; \
	daemon=$$(realpath $(DAEMON)); \
	sed "s|^ExecStart=/usr/sbin/vibe-schedd|ExecStart=$$daemon|" vibe-schedd.service >"$$tmp/system/vibe-schedd.service"; \
	cp packaging/vibe-schedd.socket "$$tmp/system/"; \
	sed "s|^ExecStart=/usr/sbin/vibe-schedd|ExecStart=$$daemon|" packaging/vibe-schedd-user.service >"$$tmp/user/vibe-schedd.service"; \
	cp packaging/vibe-schedd-user.socket "$$tmp/user/vibe-schedd.socket"; \
	out=$$(systemd-analyze verify --man=no "$$tmp/system/vibe-schedd.service" "$$tmp/system/vibe-schedd.socket" 2>&1; \
	  XDG_RUNTIME_DIR="$$tmp/xdg" systemd-analyze verify --user --man=no "$$tmp/user/vibe-schedd.service" "$$tmp/user/vibe-schedd.socket" 2>&1); \
	if [ -n "$$out" ]; then echo "$$out"; echo "check-units: systemd-analyze verify complained" >&2; exit 1; fi; \
	echo "verify: ok"; \
	cron="9.6 (Debian 12)"; \
	if [ -f /lib/systemd/system/cron.service ]; then \
		cron=$$(systemd-analyze security --offline=true --no-pager /lib/systemd/system/cron.service 2>&1 | tail -n 1); \
		cron="$${cron##*: } (measured)"; \
	fi; \
	for u in "vibe-schedd.service $(UNIT_EXPOSURE_MAX)" "packaging/vibe-schedd-user.service $(USER_UNIT_EXPOSURE_MAX)"; do \
		set -- $$u; \
		line=$$(systemd-analyze security --offline=true --no-pager "$$1" 2>&1 | tail -n 1); \
		echo "$$1: $${line##*: } (ceiling $$(($$2 / 10)).$$(($$2 % 10)); cron.service: $$cron)"; \
		systemd-analyze security --offline=true --threshold=$$2 "$$1" >/dev/null 2>&1 || \
			{ echo "check-units: $$1 is over $$2" >&2; exit 1; }; \
	done
