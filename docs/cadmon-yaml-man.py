#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The cadmon authors
"""The cadmon.yaml(5) man page, in scdoc(5) syntax, from config/cadmon.yaml: every key with its
default and the comment above it, which is its meaning (run by meson, docs/meson.build).

  cadmon-yaml-man.py CADMON_YAML SYSCONFDIR DOCDIR   the page on standard output
  cadmon-yaml-man.py --keys FILE                     every key's path, one a line ("-": stdin)

--keys reads config/cadmon.yaml or what "cadmond -d" prints (the keys config_dump walks in
lib/config.c's key tables), so that tests/man_keys_test.sh can check the page against the
schema: a path is "feed.listen", "detector.rules[].name".
"""

import re
import sys

KEY_LINE = re.compile(r"^( *)(- )?([a-z0-9_]+):(?: (.*?))?(?:  # .*)?$")


class Entry:
    """One key of the file: its path, its default (None for a mapping or an empty list), the
    comment lines above it and how deep it is."""

    def __init__(self, path, value, comments, depth):
        self.path = path
        self.value = value
        self.comments = comments
        self.depth = depth


def comment_text(line):
    """A comment line's text without "#" and the one space after it (more spaces are kept)."""
    text = line.strip()[1:]
    return text[1:] if text.startswith(" ") else text


def parse(lines):
    """The file's opening comment (up to its first blank line) and its keys, in order."""
    intro, entries, pending, stack = [], [], [], []
    at_start = True
    for raw in lines:
        line = raw.rstrip("\n")
        if at_start:
            if line.startswith("#"):
                if not line.startswith("# SPDX"):
                    intro.append(comment_text(line))
                continue
            at_start = False
        if not line.strip():
            pending = []
            continue
        if line.lstrip().startswith("#"):
            pending.append(comment_text(line))
            continue
        match = KEY_LINE.match(line)
        if not match:
            raise SystemExit(f"cadmon-yaml-man.py: cannot read line: {line!r}")
        indent = len(match.group(1)) + (2 if match.group(2) else 0)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        if match.group(2) and stack:
            stack[-1][2] = True  # its parent is a list
        parent = ".".join(name + ("[]" if is_list else "") for _, name, is_list in stack)
        path = f"{parent}.{match.group(3)}" if parent else match.group(3)
        value = match.group(4) if match.group(4) else None
        entries.append(Entry(path, value, pending, len(stack)))
        stack.append([indent, match.group(3), False])
        pending = []
    return intro, entries


def escape(text):
    """Prose for scdoc: its formatting characters taken literally."""
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_")


def paragraphs(comments, indent):
    """Comment lines as scdoc: prose lines as they are (scdoc fills them), lines indented
    further (tables, examples) kept as preformatted blocks."""
    out, literal = [], False
    for text in comments:
        preformatted = text.startswith(" ")
        if preformatted != literal:
            out.append(indent + "```")
            literal = preformatted
        if literal:
            out.append(indent + text)
        elif text.strip() and text[0] in "[|]" and out and out[-1].strip() and not out[-1].endswith("```"):
            out[-1] += " " + escape(text)  # a line starting so would open an scdoc table
        elif text.strip():
            out.append(indent + escape(text))
        else:
            out.append("")
    if literal:
        out.append(indent + "```")
    return out


def described_where(entry):
    """For a key without a comment of its own: where its meaning is."""
    if entry.value is None:
        return "Its keys follow."
    if entry.depth >= 2:
        parent = entry.path.rsplit(".", 1)[0].removesuffix("[]")
        return f"Described under *{escape(parent)}* above."
    return "Described with the key before it."


def page(intro, entries, sysconfdir, docdir):
    """The whole page, scdoc source."""
    out = [
        "cadmon.yaml(5)",
        "",
        "; Generated from config/cadmon.yaml by docs/cadmon-yaml-man.py: edit those.",
        "",
        "# NAME",
        "",
        "cadmon.yaml - the configuration of cadmond, the premature-hangup monitor",
        "",
        "# SYNOPSIS",
        "",
        f"_{sysconfdir}/cadmon/cadmon.yaml_",
        "",
        "# DESCRIPTION",
        "",
    ]
    out += paragraphs(intro, "")
    out += ["", "# KEYS", "",
            "Each key is named by its path; a list's entries by _list_[]._key_. The value after",
            "the path is the built-in default.", ""]
    for entry in entries:
        if entry.depth == 0 and entry.value is None:
            out += [f"## {escape(entry.path)}", ""]
            out += paragraphs(entry.comments, "")
            out.append("")
            continue
        term = f"*{escape(entry.path)}*"
        if entry.value is not None:
            out.append(f"{term} = *{escape(entry.value)}*")
        else:
            out.append(term)
        out += paragraphs(entry.comments, "\t") or ["\t" + described_where(entry)]
        out.append("")
    out += [
        "# FILES",
        "",
        f"_{sysconfdir}/cadmon/cadmon.yaml_",
        "\tThe configuration cadmond.service gives *cadmond -c*; as shipped, every key at its",
        "\tdefault.",
        "",
        "# SEE ALSO",
        "",
        "*cadmond*(8) (*-n* checks a file, *-d* prints the effective configuration, each key",
        "with the file and line that set it), *cadmon-backtest*(1) (*-c* tries a file on",
        "recorded feed lines).",
        "",
        f"The detector and its rules: _{docdir}/detection.md_. The wire formats:",
        f"_{docdir}/protocol.md_.",
    ]
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) == 3 and argv[1] == "--keys":
        stream = sys.stdin if argv[2] == "-" else open(argv[2], encoding="utf-8")
        for entry in parse(stream)[1]:
            print(entry.path)
        return 0
    if len(argv) != 4:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as stream:
        intro, entries = parse(stream)
    sys.stdout.write(page(intro, entries, argv[2], argv[3]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
