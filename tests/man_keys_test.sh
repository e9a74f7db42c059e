#!/bin/sh
# SPDX-License-Identifier: MIT
# cadmon.yaml(5) against the one schema: the keys of the generated page's source (config/
# cadmon.yaml, read by docs/cadmon-yaml-man.py) are exactly the keys "cadmond -d" prints from
# lib/config.c's key tables (as sets: cadmond -d keeps its own order), and each key is a
# term of the page.
#   man_keys_test.sh CADMOND CADMON_YAML_MAN_PY PAGE_SCD
set -eu

cadmond=$1 script=$2 page=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/cadmon-man-keys-XXXXXX")
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

"$cadmond" -d >"$work/dump" || fail "cadmond -d failed"
python3 "$script" --keys - <"$work/dump" | sort >"$work/schema"
grep -q . "$work/schema" || fail "no keys in cadmond -d"
# The page's terms: "*feed.listen* = ..." or "*detector.premature*", scdoc escapes undone.
sed -n 's/^\*\([^* ]*\)\*\( = .*\)\{0,1\}$/\1/p' "$page" | sed 's/\\_/_/g' | sort >"$work/page"
# Sections are headings ("## feed"), not terms: the schema's mappings without a value.
sed -n 's/^## \(.*\)$/\1/p' "$page" | sed 's/\\_/_/g' >>"$work/page"
sort -o "$work/page" "$work/page"
if ! diff -u "$work/schema" "$work/page" >"$work/diff"; then
	cat "$work/diff" >&2
	fail "cadmon.yaml(5) and cadmond -d name different keys (- schema only, + page only)"
fi
echo "cadmon.yaml(5): $(wc -l <"$work/schema") keys, the schema's"
