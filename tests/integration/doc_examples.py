#!/usr/bin/env python3
"""doc_examples.py - pull every configuration example out of the docs, so
that t_33_docs.sh can run `ackbeat validate` on each.

Usage: doc_examples.py OUTDIR FILE...

What counts as an example, by kind of file:
  *.md            a fenced block whose info string is "xml" (```xml)
  *.1, *.5 (roff) a .nf ... .fi (or .EX ... .EE) block whose first
                  non-blank line starts with "<"; roff escapes (\\-, \\e,
                  \\(dq, \\(aq, \\&) are turned back into the characters
  *.txt (seed 002) its <Schedules>...</Schedules> and
                  <HeartbeatAssembly>...</HeartbeatAssembly> blocks,
                  verbatim (the seed's non-breaking spaces kept), as one
                  example (the assembly names the schedule of the other)

An example whose first element is <ackbeat> is a whole configuration and
is written as it is.  Anything else is a fragment, wrapped into a minimal
valid configuration (a <state> and a maildir <mail>, unless the fragment
is one of those) in the place its first element belongs: check kinds in
<checks>, sqlite/odbc in <sources>, person/group in <recipients>, every
other element directly in <ackbeat>.

Secrets: validate insists that the secrets `run` would read exist, so an
absolute *-file="..." path is pointed at a file made under OUTDIR/secrets,
and each *-env="NAME" is listed in OUTDIR/NAME.env for the caller to set.

For each example OUTDIR/NNN.xml is written, and one line on stdout:
  NNN.xml<TAB>SOURCE:LINE<TAB>whole|fragment <ELEMENT>
"""
import os
import re
import sys

CHECK_KINDS = {"freshness", "count", "sql", "command", "plugin", "heartbeat",
               "ping", "HeartbeatAssembly"}
SOURCE_KINDS = {"sqlite", "odbc"}
PEOPLE = {"person", "group"}


def md_blocks(path, text):
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```xml":
            start = i + 2
            body = []
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            yield start, "\n".join(body)
        i += 1


def deroff(s):
    s = s.replace("\\(dq", '"').replace("\\(aq", "'").replace("\\&", "")
    s = s.replace("\\-", "-").replace("\\e", "\\").replace("\\\\", "\\")
    return s


def roff_blocks(path, text):
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if lines[i].strip() in (".nf", ".EX"):
            start = i + 2
            body = []
            i += 1
            while i < len(lines) and lines[i].strip() not in (".fi", ".EE"):
                body.append(deroff(lines[i]))
                i += 1
            first = next((b for b in body if b.strip()), "")
            if first.lstrip().startswith("<"):
                yield start, "\n".join(body)
        i += 1


def seed_blocks(path, text):
    lines = text.split("\n")
    for name in ("Schedules", "HeartbeatAssembly"):
        i = 0
        while i < len(lines):
            if "<%s>" % name in lines[i]:
                start = i + 1
                body = []
                while i < len(lines):
                    body.append(lines[i])
                    if "</%s>" % name in lines[i]:
                        break
                    i += 1
                yield start, "\n".join(body)
            i += 1


def first_element(xml):
    # Skip comments and the XML declaration to find the first element.
    s = re.sub(r"<!--.*?-->", "", xml, flags=re.S)
    s = re.sub(r"<\?.*?\?>", "", s, flags=re.S)
    m = re.search(r"<([A-Za-z][\w.-]*)", s)
    return m.group(1) if m else None


def wrap(xml, elem):
    head = ['<ackbeat name="docs" timezone="UTC">']
    if elem != "state":
        head.append('  <state path="state.db"/>')
    if elem != "mail":
        head.append('  <mail from="ackbeat@example.org" transport="maildir:out"/>')
    if elem in CHECK_KINDS:
        body = ["<checks>", xml, "</checks>"]
    elif elem in SOURCE_KINDS:
        body = ["<sources>", xml, "</sources>"]
    elif elem in PEOPLE:
        body = ["<recipients>", xml, "</recipients>"]
    else:
        body = [xml]
    return "\n".join(head + body + ["</ackbeat>", ""])


def fix_secrets(xml, outdir):
    sec = os.path.join(outdir, "secrets")

    def file_repl(m):
        os.makedirs(sec, exist_ok=True)
        p = os.path.join(sec, os.path.basename(m.group(2)))
        with open(p, "w") as f:
            f.write("docs-example-secret-0123456789\n")
        os.chmod(p, 0o600)
        return '%s="%s"' % (m.group(1), p)

    xml = re.sub(r'([\w-]+-file)="(/[^"]*)"', file_repl, xml)
    for name in re.findall(r'[\w-]+-env="([^"]*)"', xml):
        open(os.path.join(outdir, name + ".env"), "w").close()
    return xml


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    n = 0
    for path in sys.argv[2:]:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if path.endswith(".md"):
            blocks = md_blocks(path, text)
        elif re.search(r"\.[1-9]$", path):
            blocks = roff_blocks(path, text)
        else:
            # The seed's blocks are one Heartbeat.config: the assembly
            # names the schedule the <Schedules> block defines.
            got = list(seed_blocks(path, text))
            sch = "\n".join(x for _, x in got if "<Schedules>" in x)
            hba = "\n".join(x for _, x in got if "<Schedules>" not in x)
            blocks = [(got[0][0], sch + "\n<checks>\n" + hba + "\n</checks>")] if got else []
        for line, xml in blocks:
            n += 1
            elem = first_element(xml)
            if elem == "ackbeat":
                kind, out = "whole", xml + "\n"
            else:
                kind, out = "fragment <%s>" % elem, wrap(xml, elem)
            name = "%03d.xml" % n
            with open(os.path.join(outdir, name), "w", encoding="utf-8") as f:
                f.write(fix_secrets(out, outdir))
            print("%s\t%s:%d\t%s" % (name, path, line, kind))


main()
