"""The code samples of the docs: fenced ```pycon and ```console blocks in docs/*.md and README.md.

A page's pycon blocks run as one doctest, in order, in one namespace. A console block's `$ ` lines
run one by one in bash, and what each prints must match the lines under it; in both, `...` matches
anything (doctest's ELLIPSIS) and runs of whitespace match each other. JavaScript and TypeScript blocks
that use the npm package are type-checked against its types (test_js_samples.py); blocks in other
languages are shown, not run: write a sample as pycon or console to have it checked.
"""
import doctest
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```(pycon|console)[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@dataclass
class Block:
    path: Path
    line: int
    language: str
    text: str


def pages():
    """Every page whose samples run: the README and the docs' pages."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(path):
    source = path.read_text()
    return [Block(path, source.count("\n", 0, m.start()) + 2, m.group(1), m.group(2)) for m in FENCE.finditer(source)]


#: Run in a fresh interpreter, as a reader's REPL would be: a sample's models and settings stay its own.
_CHILD = """
import doctest, json, sys
examples = []
for text, line in json.load(sys.stdin)["blocks"]:
    for example in doctest.DocTestParser().get_examples(text):
        example.lineno += line - 1
        examples.append(example)
test = doctest.DocTest(examples, {}, sys.argv[1], sys.argv[2], 0, None)
report = []
doctest.DocTestRunner(optionflags=%d).run(test, out=report.append)
sys.stdout.write("".join(report))
""" % FLAGS


def run_pycon(path, pycon_blocks, env=None):
    """Run a page's pycon blocks as one doctest in a fresh interpreter (from the repository's root);
    return the failures' report ('' when all pass)."""
    import json
    import os
    import sys

    payload = json.dumps({"blocks": [(b.text, b.line) for b in pycon_blocks]})
    out = subprocess.run([sys.executable, "-c", _CHILD, path.name, str(path)], input=payload, text=True,
                         capture_output=True, cwd=ROOT, env=env or dict(os.environ), timeout=300)
    return out.stdout + (out.stderr if out.returncode else "")


def console_commands(block):
    """(line, command, expected output) for each `$ ` command of a console block."""
    commands, lines = [], block.text.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            raise AssertionError(f"{block.path.name}:{block.line + i}: output with no command: {lines[i]!r}")
        start, command = i, lines[i][2:]
        while command.endswith("\\"):
            i += 1
            command = command[:-1] + "\n" + lines[i]
        i += 1
        want = []
        while i < len(lines) and not lines[i].startswith("$ "):
            want.append(lines[i])
            i += 1
        commands.append((block.line + start, command, "\n".join(want) + "\n" if want else ""))
    return commands


def run_console(block, env):
    """Run a console block's commands; return the failures' report ('' when all pass)."""
    checker, report = doctest.OutputChecker(), []
    for line, command, want in console_commands(block):
        out = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=60)
        got = out.stdout.replace("\r\n", "\n")
        if out.returncode != 0 or not checker.check_output(want, got, FLAGS):
            report.append(f"{block.path.name}:{line}: $ {command}\nexpected:\n{want}got (exit {out.returncode}):\n"
                          f"{got}{out.stderr}")
    return "\n".join(report)
