#!/bin/sh
# SPDX-License-Identifier: MIT
# "meson install" into a temporary DESTDIR, then check that every file cadmon installs is
# there, that man(1) finds each installed manual page in the prefix (man -w with MANPATH, when
# man-db is installed), that the installed unit starts the installed binary and that the
# installed configuration is valid.
#   install_test.sh BUILD_DIR SBINDIR UNITDIR SYSCONFDIR FILE...
# (absolute install paths; FILE: further files that must be installed, manual pages as
# MANDIR/manN/NAME.N)
set -eu

build_dir=$1 sbindir=$2 unitdir=$3 sysconfdir=$4
shift 4

command -v meson >/dev/null 2>&1 || { echo "meson not found: skipping"; exit 77; }
destdir=$(mktemp -d "${TMPDIR:-/tmp}/cadmon-install-XXXXXX")
trap 'rm -rf "$destdir"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# --no-rebuild: meson test has built everything; nothing in the build directory changes.
DESTDIR=$destdir meson install -C "$build_dir" --no-rebuild --quiet >"$destdir/.install.log" 2>&1 ||
	{ cat "$destdir/.install.log" >&2; fail "meson install failed"; }

for file in "$sbindir/cadmond" "$unitdir/cadmond.service" "$unitdir/cadmond.socket" \
	"$sysconfdir/cadmon/cadmon.yaml" "$@"; do
	[ -f "$destdir$file" ] || fail "not installed: $file"
	echo "installed: $file"
done
[ -x "$destdir$sbindir/cadmond" ] || fail "$sbindir/cadmond is not executable"

# Each manual page as a user finds it: "man -w SECTION NAME" with the prefix's MANDIR.
for file in "$@"; do
	case $file in
	*/man[1-9]/*) ;;
	*) continue ;;
	esac
	command -v man >/dev/null 2>&1 || fail "man not found (scripts/setup installs man-db)"
	page=${file##*/} mandir=${file%/man[1-9]/*}
	found=$(MANPATH="$destdir$mandir" man -w "${page##*.}" "${page%.*}" 2>&1) ||
		fail "man -w ${page##*.} ${page%.*}: $found"
	[ "$found" = "$destdir$file" ] || fail "man -w ${page##*.} ${page%.*}: $found, not $destdir$file"
	echo "man -w ${page##*.} ${page%.*}: $file"
done

grep -qx "ExecStart=$sbindir/cadmond -c $sysconfdir/cadmon/cadmon.yaml" \
	"$destdir$unitdir/cadmond.service" || fail "cadmond.service: unexpected ExecStart="
grep -Eq '@[a-z]+@' "$destdir$unitdir/cadmond.service" && fail "cadmond.service: unsubstituted @...@"

out=$("$destdir$sbindir/cadmond" -n -c "$destdir$sysconfdir/cadmon/cadmon.yaml" 2>&1) ||
	fail "installed cadmon.yaml: $out"
[ "$out" = "configuration OK" ] || fail "installed cadmon.yaml: $out"
echo "cadmond -n -c $sysconfdir/cadmon/cadmon.yaml: $out"
