#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The cadmon authors
"""The cadmon.yaml(5) man page, in scdoc(5) syntax, from the configuration schema: every key
that "cadmond --dump-schema" prints (lib/config.c's key tables), in their order, with its
default, unit, whether a reload applies it and its meaning (run by meson, docs/meson.build).

  cadmon-yaml-man.py SCHEMA CADMON_YAML SYSCONFDIR DOCDIR   the page on standard output

SCHEMA is what "cadmond --dump-schema" printed: one key a line, tab-separated: path, unit,
reload (live or restart), default, meaning ("-" where a section has none). The meaning is the
key's .doc; config/cadmon.yaml's comment on the key, whose first line is that .doc (checked
here and by tests/test_config.c), adds the lines after it. A key of a list's entries
("receivers[].timeout_ms") is documented by its row in the comment above the list.
"""

import re
import sys

KEY_LINE = re.compile(r"^( *)(- )?([a-z0-9_]+):(.*)$")
ROW = re.compile(r"^  ([a-z0-9_]+) +(\S.*)$")
ROW_TAG = re.compile(r"^\[[a-z]+; (reloadable|restart to change)\]$")  # the Unit: line says it


class Key:
    """One line of the schema."""

    def __init__(self, line):
        fields = line.rstrip("\n").split("\t")
        if len(fields) != 5:
            raise SystemExit(f"cadmon-yaml-man.py: not a schema line: {line!r}")
        self.path, self.unit, self.reload, self.default, self.doc = fields

    @property
    def section(self):
        return self.unit == "-"


def comment_text(line):
    """A comment line's text without "#" and the one space after it (more spaces are kept)."""
    text = line.strip()[1:]
    return text[1:] if text.startswith(" ") else text


def read_yaml(lines):
    """The file's opening comment (up to its first blank line), and the comment lines just
    above each key, by path (a list's entries as "list[].key")."""
    intro, comments, pending, stack = [], {}, [], []
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
        comments.setdefault(path, pending)
        stack.append([indent, match.group(3), False])
        pending = []
    return intro, comments


def entry_rows(comments):
    """The rows of a list's comment ("  timeout_ms    per request ..."): name -> its lines."""
    rows, current = {}, None
    for text in comments:
        match = ROW.match(text)
        if match:
            current = None if match.group(1) in rows else match.group(1)
            if current:
                rows[current] = [match.group(2)]
        elif current and text.startswith("   ") and text.strip():
            if not ROW_TAG.match(text.strip()):
                rows[current].append(text.strip())
        else:
            current = None
    return rows


def meaning(key, comments):
    """The lines that say what key means: its .doc first, then the rest of its comment."""
    if "[]." in key.path and "." not in key.path.split("[].", 1)[1]:
        lines = entry_rows(comments.get(key.path.split("[].", 1)[0], [])).get(key.path.split("[].", 1)[1])
    else:
        lines = comments.get(key.path)
    if not key.doc:
        return []
    if not lines or lines[0].strip() != key.doc.strip():
        raise SystemExit(f"cadmon-yaml-man.py: {key.path}: the schema's meaning {key.doc!r} is not the "
                         f"first line of its comment in config/cadmon.yaml ({(lines or [''])[0]!r})")
    return lines


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


def described_where(key, previous):
    """For a key without a meaning of its own: where it is."""
    parent = key.path.rsplit(".", 1)[0]
    if previous and previous.rsplit(".", 1)[0] == parent and "." in key.path and parent.count(".") >= 1:
        return f"Described under *{escape(parent.removesuffix('[]'))}* above."
    return "Described with the key before it."


def term(key):
    """The key's term line: "*path* = *default*", or "*path* (required)"."""
    name = f"*{escape(key.path)}*"
    if key.default == "required":
        return f"{name} (required)"
    if key.default == "-":
        return name
    return f"{name} = *{escape(key.default)}*"


def how(key):
    """Its unit, and whether a reload applies it."""
    applied = "a reload (SIGHUP) applies it" if key.reload == "live" else "it takes effect at the next restart"
    return f"\tUnit: _{escape(key.unit)}_; {applied}."


def page(schema, intro, comments, sysconfdir, docdir):
    """The whole page, scdoc source."""
    out = [
        "cadmon.yaml(5)",
        "",
        "; Generated by docs/cadmon-yaml-man.py from cadmond --dump-schema (lib/config.c's key",
        "; tables) and config/cadmon.yaml's comments: edit those.",
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
            "the path is the built-in default; below it, the unit of the value and whether a",
            "reload (SIGHUP) applies a change or it takes effect at the next restart (a reload",
            "then keeps the running value and logs so). *cadmond --dump-schema* prints the same.", ""]
    previous = None
    for key in schema:
        lines = meaning(key, comments)
        if key.section and "." not in key.path:
            out += [f"## {escape(key.path)}", ""]
            out += paragraphs(lines, "")
            out.append("")
        else:
            out.append(term(key))
            out += paragraphs(lines, "\t") or ["\t" + (
                "Its keys follow." if key.section else described_where(key, previous))]
            if not key.section:
                out += ["", how(key)]
            out.append("")
        previous = key.path
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
        "with the file and line that set it, *--dump-schema* every key as this page lists",
        "it), *cadmon-backtest*(1) (*-c* tries a file on recorded feed lines).",
        "",
        f"The detector and its rules: _{docdir}/detection.md_. The wire formats:",
        f"_{docdir}/protocol.md_.",
    ]
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) != 5:
        print(__doc__.strip().splitlines()[4].strip(), file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as stream:
        schema = [Key(line) for line in stream if line.strip()]
    if not schema:
        raise SystemExit("cadmon-yaml-man.py: the schema is empty")
    with open(argv[2], encoding="utf-8") as stream:
        intro, comments = read_yaml(stream)
    sys.stdout.write(page(schema, intro, comments, argv[3], argv[4]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
