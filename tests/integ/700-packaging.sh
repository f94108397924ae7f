# Packaging: man pages render without warnings; the config file, the man
# pages and the daemon agree on every setting; the units verify and keep
# their systemd-analyze security exposure (system <= 7.9, user <= 2.5;
# Debian's cron.service is 9.6); `make install DESTDIR=` lays out the whole
# tree; bash completion completes commands, options and ids from a live
# daemon; `make deb` builds a lintian-clean package, which installs, runs
# from /usr/sbin and purges cleanly (as root; the machine is restored).
# A sub-check is skipped, with the reason, only when its tool is missing.
. "$(dirname "$0")/lib.sh"

SRC=$VIBE_SRC
BUILD_NAME=$(basename "$VIBE_BUILD")
VERSION=$(sed -n 's/^VERSION := *//p' "$SRC/Makefile")
skip() { echo "skip - $*"; }
have() { command -v "$1" >/dev/null 2>&1; }

# The top Makefile includes packaging/packaging.mk; until it does, name it.
# -o: use the binaries the suite runs on as they are; never rebuild them
# here (without the build's own flags, e.g. ASan's, a relink would fail).
MAKE_PKG=(make -s -C "$SRC")
grep -q '^include packaging/packaging.mk' "$SRC/Makefile" ||
	MAKE_PKG+=(-f Makefile -f packaging/packaging.mk)
MAKE_PKG+=(BUILD="$BUILD_NAME" -o all -o "$BUILD_NAME/vibe-schedd" -o "$BUILD_NAME/vibectl")

# ---- man pages ---------------------------------------------------------
check_man() {
	local page out
	for page in "$SRC"/packaging/man/*.[0-9]; do
		if have groff; then
			out=$(groff -ww -man -z "$page" 2>&1) ||
				fail "groff failed on $page: $out"
			[ -z "$out" ] || fail "groff warns on $(basename "$page"): $out"
		fi
		if have man; then
			out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
			[ -z "$out" ] || fail "man warns on $(basename "$page"): $out"
		fi
	done
	if have groff || have man; then
		ok "man pages render without warnings"
	else
		skip "man pages: neither groff nor man is installed"
	fi
}

# ---- settings: daemon, config file and man pages agree -----------------
check_settings() {
	local keys key conf=$T/all.conf
	# The settings table of daemon/config.c: S(name, type, ...).
	keys=$(sed -n 's/^[[:space:]]*S(\([a-z_]*\),.*/\1/p' "$SRC/daemon/config.c")
	[ "$(echo "$keys" | wc -l)" -ge 20 ] || fail "cannot read the settings of daemon/config.c: $keys"
	for key in $keys; do
		grep -Eq "^#?$key = " "$SRC/packaging/vibe-schedd.conf" ||
			fail "packaging/vibe-schedd.conf does not mention $key"
		grep -q "^\.BI $key " "$SRC/packaging/man/vibe-schedd.conf.5" ||
			fail "vibe-schedd.conf(5) does not describe $key"
		grep -qF -- "\\-\\-${key//_/\\-} \"" \
			"$SRC/packaging/man/vibe-schedd.8" ||
			fail "vibe-schedd(8) does not list --$key"
	done
	# Every line of the default file, commented defaults included, parses.
	sed 's/^#\([a-z_]* = \)/\1/' "$SRC/packaging/vibe-schedd.conf" >"$conf"
	"$VIBE_BUILD/vibe-schedd" --config "$conf" --version >/dev/null ||
		fail "the default config file (all keys set) does not parse"
	ok "all $(echo "$keys" | wc -l) settings are in the config file and both man pages; the file parses"
}

# ---- units ---------------------------------------------------------------
check_units() {
	local out
	if ! have systemd-analyze; then
		skip "units: systemd-analyze is not installed"
		return
	fi
	out=$("${MAKE_PKG[@]}" check-units 2>&1) ||
		fail "make check-units: $out"
	echo "$out" | sed 's/^/    /'
	ok "units verify; exposure within the ceilings"
}

# ---- make install ------------------------------------------------------
check_install() {
	local dest=$T/dest f
	"${MAKE_PKG[@]}" install DESTDIR="$dest" >"$T/install.log" 2>&1 ||
		fail "make install: $(tail -n 20 "$T/install.log")"
	for f in usr/local/sbin/vibe-schedd:755 usr/local/bin/vibectl:755 \
		usr/local/lib/systemd/system/vibe-schedd.service:644 \
		usr/local/lib/systemd/system/vibe-schedd.socket:644 \
		usr/local/lib/systemd/user/vibe-schedd.service:644 \
		usr/local/lib/systemd/user/vibe-schedd.socket:644 \
		usr/local/lib/sysusers.d/vibe-schedd.conf:644 \
		usr/local/lib/tmpfiles.d/vibe-schedd.conf:644 \
		usr/local/share/man/man1/vibectl.1:644 \
		usr/local/share/man/man5/vibe-schedd.conf.5:644 \
		usr/local/share/man/man8/vibe-schedd.8:644 \
		usr/local/share/bash-completion/completions/vibectl:644 \
		etc/vibe-schedd/vibe-schedd.conf:644 etc/vibe-schedd/pipelines:755; do
		[ -e "$dest/${f%:*}" ] || fail "make install did not install /${f%:*}"
		assert_eq "$(stat -c %a "$dest/${f%:*}")" "${f#*:}" "mode of /${f%:*}"
	done
	grep -q '^ExecStart=/usr/local/sbin/vibe-schedd --config /etc/vibe-schedd/vibe-schedd.conf$' \
		"$dest/usr/local/lib/systemd/system/vibe-schedd.service" ||
		fail "installed unit does not start /usr/local/sbin/vibe-schedd"
	grep -q '^ExecStart=/usr/local/sbin/vibe-schedd ' \
		"$dest/usr/local/lib/systemd/user/vibe-schedd.service" ||
		fail "installed user unit does not start /usr/local/sbin/vibe-schedd"
	assert_contains "$("$dest/usr/local/sbin/vibe-schedd" --version)" "$VERSION" "installed --version"
	# The directory variables, Debian style.
	"${MAKE_PKG[@]}" install DESTDIR="$T/dest2" PREFIX=/usr \
		SYSCONFDIR=/etc/x SYSTEMDUNITDIR=/lib/systemd/system MANDIR=/usr/man \
		BASHCOMPDIR=/usr/bc SYSUSERSDIR=/usr/su TMPFILESDIR=/usr/tf >"$T/install2.log" 2>&1 ||
		fail "make install PREFIX=/usr ...: $(tail -n 20 "$T/install2.log")"
	for f in usr/sbin/vibe-schedd usr/bin/vibectl lib/systemd/system/vibe-schedd.service \
		usr/lib/systemd/user/vibe-schedd.service usr/man/man8/vibe-schedd.8 usr/bc/vibectl \
		usr/su/vibe-schedd.conf usr/tf/vibe-schedd.conf etc/x/vibe-schedd/vibe-schedd.conf; do
		[ -e "$T/dest2/$f" ] || fail "make install PREFIX=/usr ... did not install /$f"
	done
	grep -q '^ExecStart=/usr/sbin/vibe-schedd --config /etc/x/vibe-schedd/vibe-schedd.conf$' \
		"$T/dest2/lib/systemd/system/vibe-schedd.service" || fail "SYSCONFDIR not applied to the unit"
	grep -q '^pipeline_dir = /etc/x/vibe-schedd/pipelines$' \
		"$T/dest2/etc/x/vibe-schedd/vibe-schedd.conf" || fail "SYSCONFDIR not applied to the config"
	# A second install keeps an edited config file.
	echo "# edited" >>"$dest/etc/vibe-schedd/vibe-schedd.conf"
	"${MAKE_PKG[@]}" install DESTDIR="$dest" >/dev/null 2>&1 || fail "second make install"
	grep -q '^# edited$' "$dest/etc/vibe-schedd/vibe-schedd.conf" || fail "make install overwrote the config"
	[ -f "$dest/etc/vibe-schedd/vibe-schedd.conf.new" ] || fail "no vibe-schedd.conf.new beside the kept config"
	ok "make install lays out the tree (default and Debian-style directories) and keeps an edited config"
}

# ---- bash completion ---------------------------------------------------
# complete LINE: the completions of the last word (a trailing space: a new word).
complete_line() {
	bash -c '
		. "$1/packaging/completion/vibectl"
		read -ra COMP_WORDS <<<"$2"
		case $2 in *" ") COMP_WORDS+=("") ;; esac
		COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
		_vibectl
		echo "${COMPREPLY[*]}"' _ "$SRC" "$1"
}

check_completion() {
	local got v="vibectl --socket $SOCK"
	if ! have bash; then skip "completion: no bash"; return; fi
	start_daemon
	vibectl add alpha --cron "0 9 * * *" -- /bin/true >/dev/null
	vibectl add beta --on file_landed -- /bin/true >/dev/null
	vibectl run alpha >/dev/null
	export PATH="$VIBE_BUILD:$PATH"
	assert_contains "$(complete_line 'vibectl ')" "backfill" "commands"
	assert_eq "$(complete_line 'vibectl backfill r')" "run retry" "backfill subcommands"
	assert_eq "$(complete_line "$v get ")" "alpha beta" "schedule ids"
	assert_eq "$(complete_line "$v event ")" "file_landed" "event types"
	assert_eq "$(complete_line "$v logs ")" "$(vibectl --json runs | jq -r '.runs[].run_id')" "run ids"
	got=$(complete_line "$v runs alpha --status ")
	assert_eq "$got" "queued running succeeded failed cancelled" "run statuses"
	assert_eq "$(complete_line "$v add x --overlap c")" "cancel_previous" "choices"
	assert_contains "$(complete_line "$v add x --cr")" "--cron" "add options"
	assert_eq "$(complete_line "$v add x --tz America/New_Y")" "America/New_York" "zones"
	assert_eq "$(complete_line 'vibectl --socket /nonexistent get ')" "" "unreachable daemon"
	ok "bash completion: commands, options, choices, zones, schedule/run ids"
}

# ---- Debian package ------------------------------------------------------
DEB=$SRC/build-deb/vibe-schedd_${VERSION}_$(dpkg --print-architecture 2>/dev/null)
DEB=$DEB.deb
INSTALLED_BY_US=
GROUP_EXISTED=

deb_purge() {
	[ -n "$INSTALLED_BY_US" ] || return 0
	dpkg --purge vibe-schedd >"$T/purge.log" 2>&1 || { cat "$T/purge.log"; return 1; }
	INSTALLED_BY_US=
	if [ -z "$GROUP_EXISTED" ] && getent group vibe-schedd >/dev/null; then
		groupdel vibe-schedd
	fi
}

pkg_cleanup() {
	local rc=$?
	deb_purge || true
	(exit $rc)
	cleanup
}
trap pkg_cleanup EXIT

# make deb, unless the .deb is newer than everything it is built from (the
# suite runs twice in CI: gcc, then ASan).
build_deb() {
	local newer
	if [ -f "$DEB" ]; then
		newer=$(cd "$SRC" && find Makefile README.md vibe-schedd.service proto store daemon \
			client packaging docs -newer "$DEB" -print -quit 2>/dev/null)
		if [ -z "$newer" ]; then
			echo "    reusing $DEB"
			return 0
		fi
	fi
	"${MAKE_PKG[@]}" deb >"$T/deb.log" 2>&1 ||
		fail "make deb: $(tail -n 40 "$T/deb.log")"
	grep -A20 -e '--- lintian' "$T/deb.log" | sed 's/^/    /'
}

check_deb() {
	local out f
	if ! have dpkg; then skip "deb: not a Debian system (no dpkg)"; return; fi
	if [ "$(id -u)" -ne 0 ] && ! have dpkg-buildpackage; then
		skip "deb: dpkg-buildpackage missing and not root to install it"
		return
	fi
	build_deb
	[ -f "$DEB" ] || fail "make deb did not produce $DEB"
	out=$(lintian "$DEB" 2>&1 | grep '^E:' || true)
	[ -z "$out" ] || fail "lintian errors: $out"
	out=$(dpkg-deb -c "$DEB")
	for f in ./usr/sbin/vibe-schedd ./usr/bin/vibectl ./lib/systemd/system/vibe-schedd.service \
		./lib/systemd/system/vibe-schedd.socket ./usr/lib/systemd/user/vibe-schedd.service \
		./usr/lib/sysusers.d/vibe-schedd.conf ./usr/lib/tmpfiles.d/vibe-schedd.conf \
		./etc/vibe-schedd/vibe-schedd.conf ./usr/share/man/man8/vibe-schedd.8.gz \
		./usr/share/man/man1/vibectl.1.gz ./usr/share/man/man5/vibe-schedd.conf.5.gz \
		./usr/share/bash-completion/completions/vibectl; do
		assert_contains "$out" " $f" "package contents"
	done
	assert_contains "$(dpkg-deb -I "$DEB" conffiles)" "/etc/vibe-schedd/vibe-schedd.conf" "conffiles"
	ok "make deb: lintian-clean package with the expected files and conffile"

	if [ "$(id -u)" -ne 0 ]; then skip "deb install: not root"; return; fi
	if dpkg-query -W -f='${Status}' vibe-schedd 2>/dev/null | grep -q installed; then
		skip "deb install: vibe-schedd is already installed on this machine"
		return
	fi
	for f in /var/lib/vibe-schedd /etc/vibe-schedd /usr/sbin/vibe-schedd; do
		if [ -e "$f" ]; then skip "deb install: $f exists and would be touched"; return; fi
	done
	getent group vibe-schedd >/dev/null && GROUP_EXISTED=1
	INSTALLED_BY_US=1
	dpkg -i "$DEB" >"$T/dpkg.log" 2>&1 || fail "dpkg -i: $(cat "$T/dpkg.log")"
	assert_contains "$(/usr/sbin/vibe-schedd --version)" "$VERSION" "installed vibe-schedd --version"
	assert_contains "$(/usr/bin/vibectl --version)" "$VERSION" "installed vibectl --version"
	getent group vibe-schedd >/dev/null || fail "postinst did not create the group vibe-schedd"
	assert_eq "$(stat -c %a /var/lib/vibe-schedd)" 700 "mode of /var/lib/vibe-schedd"
	[ -d /etc/vibe-schedd/pipelines ] || fail "no /etc/vibe-schedd/pipelines"
	[ -L /etc/systemd/system/multi-user.target.wants/vibe-schedd.service ] ||
		fail "the service is not enabled"
	[ -L /etc/systemd/system/sockets.target.wants/vibe-schedd.socket ] ||
		fail "the socket is not enabled"
	# The installed daemon with the packaged config (socket and state moved
	# to the test's directory): the socket gets group vibe-schedd, mode 0660.
	/usr/sbin/vibe-schedd --config /etc/vibe-schedd/vibe-schedd.conf --state-dir "$T/pkgstate" \
		--socket "$T/pkg.sock" >"$T/pkgd.log" 2>&1 &
	local pid=$! _
	for _ in $(seq 1 100); do
		/usr/bin/vibectl --socket "$T/pkg.sock" ping >/dev/null 2>&1 && break
		sleep 0.05
	done
	/usr/bin/vibectl --socket "$T/pkg.sock" ping >/dev/null || fail "installed daemon: $(cat "$T/pkgd.log")"
	assert_eq "$(stat -c '%a %G' "$T/pkg.sock")" "660 vibe-schedd" "packaged socket mode and group"
	kill -TERM $pid
	wait $pid || fail "installed daemon exited with $? on SIGTERM"
	if [ -f /usr/share/man/man5/vibe-schedd.conf.5.gz ] && have man; then
		MANWIDTH=80 man --warnings vibe-schedd.conf >/dev/null 2>"$T/man.err" || true
		[ ! -s "$T/man.err" ] || fail "installed man page: $(cat "$T/man.err")"
	else
		skip "installed man page: dpkg excludes /usr/share/man here, or no man"
	fi
	deb_purge || fail "dpkg --purge failed"
	for f in /usr/sbin/vibe-schedd /usr/bin/vibectl /etc/vibe-schedd /var/lib/vibe-schedd \
		/lib/systemd/system/vibe-schedd.service /etc/systemd/system/multi-user.target.wants/vibe-schedd.service \
		/etc/systemd/system/sockets.target.wants/vibe-schedd.socket; do
		if [ -e "$f" ] || [ -L "$f" ]; then fail "$f is left after dpkg --purge"; fi
	done
	ok "dpkg -i installs (group, state dir, enabled units, working daemon), dpkg --purge cleans up"
}

check_man
check_settings
check_units
check_install
check_completion
check_deb
