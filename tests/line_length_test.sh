#!/bin/sh
# SPDX-License-Identifier: MIT
# No line of C over 100 columns, tabs of 8 (.clang-format, .editorconfig): every .c and .h file
# under lib, daemon, tools, tests and bench. Each offending line is printed as FILE:LINE: COLUMNS.
# The check first runs on lines of its own making (100 columns pass, 101 fail), so that it cannot
# pass by reading nothing.
#   line_length_test.sh SOURCE_ROOT
set -eu

root=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/cadmon-line-length-XXXXXX")
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# Lines of the files named on stdin wider than 100 columns once tabs are expanded to 8.
long_lines() {
	while IFS= read -r file; do
		expand -t 8 "$file" | awk -v name="$file" 'length($0) > 100 {
			print name ":" FNR ": " length($0) " columns"
		}'
	done
}

# A tab then 92 characters is 100 columns; one more is 101.
printf '\t%092d\n' 0 >"$work/100.c"
printf '\t%093d\n' 0 >"$work/101.c"
[ -z "$(echo "$work/100.c" | long_lines)" ] || fail "a line of 100 columns was counted too long"
[ "$(echo "$work/101.c" | long_lines)" = "$work/101.c:1: 101 columns" ] ||
	fail "a line of 101 columns was not found"

find "$root/lib" "$root/daemon" "$root/tools" "$root/tests" "$root/bench" \
	-name node_modules -prune -o -type f \( -name '*.c' -o -name '*.h' \) -print |
	sort >"$work/files"
[ "$(wc -l <"$work/files")" -gt 100 ] || fail "fewer than 100 C files found under $root"
long_lines <"$work/files" >"$work/long"
if [ -s "$work/long" ]; then
	cat "$work/long" >&2
	fail "$(wc -l <"$work/long") lines over 100 columns (tabs of 8)"
fi
echo "$(wc -l <"$work/files") files, no line over 100 columns"
