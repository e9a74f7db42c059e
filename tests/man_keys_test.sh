#!/bin/sh
# SPDX-License-Identifier: MIT
# cadmon.yaml(5) against the one schema: every key "cadmond --dump-schema" prints from
# lib/config.c's key tables is a term of the generated page (a top-level section a heading),
# with its default, and the page names no other key.
#   man_keys_test.sh CADMOND PAGE_SCD
set -eu

cadmond=$1 page=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/cadmon-man-keys-XXXXXX")
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

"$cadmond" --dump-schema >"$work/schema" || fail "cadmond --dump-schema failed"
cut -f1 "$work/schema" | sort >"$work/keys"
grep -q . "$work/keys" || fail "no keys in cadmond --dump-schema"
# The page's terms: "*feed.listen* = *...*", "*detector.premature*", "*receivers[].url* (required)",
# scdoc escapes undone; top-level sections are headings ("## feed").
sed -n 's/^\*\([^* ]*\)\*\( = .*\| (required)\)\{0,1\}$/\1/p' "$page" | sed 's/\\_/_/g' >"$work/page"
sed -n 's/^## \(.*\)$/\1/p' "$page" | sed 's/\\_/_/g' >>"$work/page"
sort -o "$work/page" "$work/page"
if ! diff -u "$work/keys" "$work/page" >"$work/diff"; then
	cat "$work/diff" >&2
	fail "cadmon.yaml(5) and cadmond --dump-schema name different keys (- schema only, + page only)"
fi
# Each default as the schema says it: "*journal.fsync* = *batch*".
grep -qx '\*journal.fsync\* = \*batch\*' "$page" || fail "journal.fsync's default is not on the page"
grep -qx '\*receivers\[\].url\* (required)' "$page" || fail "receivers[].url is not marked required"
grep -qx '	Unit: _seconds_; a reload (SIGHUP) applies it.' "$page" || fail "no unit and reload line"
grep -qx '	Unit: _boolean_; it takes effect at the next restart.' "$page" || fail "no restart line"
echo "cadmon.yaml(5): $(wc -l <"$work/keys") keys, the schema's"
