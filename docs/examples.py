"""The real outputs quoted in README.md and docs/: re-run them, check or rewrite them.

    python docs/examples.py            # list the examples that no longer match
    python docs/examples.py --write    # rewrite them from the current code and table

Each example is a command whose output a document quotes in a fenced block: either the
block's first line is `$ COMMAND`, or (README.md) the block follows a line naming the
command in backticks. They run as a user would see them: the shipped table, no config
file, a fixed date for the freshness notes, at the width given; trailing spaces dropped.
They share one fresh cache directory (the first validates the table, the rest find it
there) and run two at a time. tests/test_docs_examples.py fails when one is stale.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TODAY = "2026-11-22"

# (document, command, terminal columns)
EXAMPLES: list[tuple[str, str, int]] = [
    ("README.md", "cartcost estimate --country CN --indication MM --from NZ", 80),
    ("README.md", "cartcost compare --indication LBCL --from GB --countries CN,IN,US", 80),
    ("docs/compare.md", "cartcost compare --indication MM --from NZ", 80),
    ("docs/compare.md", "cartcost compare -i LBCL --from GB -c CN,IN,US", 80),
    ("docs/compare.md", "cartcost compare -i LBCL --from GB -c CN,IN,US --format csv", 80),
    ("docs/compare.md", "cartcost compare -i MM -c CN,XX,Chna,UK", 80),
    ("docs/compare.md", "cartcost compare -i MM -c GB,NZ,NL", 80),
    ("docs/budget.md", "cartcost estimate --country CN --indication MM --from NZ --budget", 100),
    ("docs/budget.md", "cartcost compare --indication MM --from NZ --budget", 100),
    ("docs/who-pays.md", "cartcost compare -i LBCL --from GB --countries GB,CN,US", 80),
    ("docs/budget.md", "cartcost estimate -c GB -i LBCL --from GB --budget", 100),
    ("docs/budget.md", "cartcost estimate --country CN --indication MM --from NZ --drivers", 100),
]
# Examples quoted in part: the block is "..." then the output from the line starting with
# the first marker up to (not including) the line starting with the second.
EXCERPTS: dict[tuple[str, str], tuple[str, str]] = {
    ("docs/budget.md", "cartcost estimate -c GB -i LBCL --from GB --budget"): (
        "To be 90% sure",
        "Every low added up",
    ),
    ("docs/budget.md", "cartcost estimate --country CN --indication MM --from NZ --drivers"): (
        "What drives the range",
        "Bar:",
    ),
}


def excerpt(doc: str, command: str, lines: list[str]) -> list[str]:
    """The lines a document quotes of an example's output (all, or an EXCERPTS part)."""
    marks = EXCERPTS.get((doc, command))
    if marks is None:
        return lines
    first = next(i for i, line in enumerate(lines) if line.startswith(marks[0]))
    last = next(i for i in range(first, len(lines)) if lines[i].startswith(marks[1]))
    return ["...", *lines[first:last]]


def output(command: str, columns: int, tmp: str) -> list[str]:
    """What the command prints (stdout, then stderr), line by line, right-trimmed, with
    no config file and the cache in the directory tmp."""
    args = shlex.split(command)[1:]
    env = {
        **os.environ,
        "COLUMNS": str(columns),
        "CARTCOST_TODAY": TODAY,
        "CARTCOST_CONFIG_DIR": str(Path(tmp) / "config"),
        "CARTCOST_CACHE_DIR": str(Path(tmp) / "cache"),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    for name in ("CARTCOST_RATES", "CARTCOST_BASE_RATES", "NO_COLOR", "FORCE_COLOR"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "cartcost", *args], env=env, capture_output=True, text=True
    )
    return [line.rstrip() for line in (done.stdout + done.stderr).rstrip("\n").split("\n")]


def block(lines: list[str], command: str) -> tuple[int, int]:
    """[start, end) of the quoted output of `command` in a document's lines."""
    for i, line in enumerate(lines):
        if line == f"$ {command}" and i > 0 and lines[i - 1].startswith("```"):
            start = i + 1
            break
        if f"`{command}`" in line:
            start = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```")) + 1
            break
    else:
        raise LookupError(f"no example of `{command}`")
    end = next(j for j in range(start, len(lines)) if lines[j].startswith("```"))
    return start, end


def outputs() -> list[list[str]]:
    """What each example prints, in the order of EXAMPLES."""
    with tempfile.TemporaryDirectory() as tmp:
        (_, first, columns), *rest = EXAMPLES
        done = [output(first, columns, tmp)]  # the table is validated and cached once
        with ThreadPoolExecutor(max_workers=2) as pool:
            done += pool.map(lambda example: output(example[1], example[2], tmp), rest)
    pairs = zip(EXAMPLES, done, strict=True)
    return [excerpt(doc, command, lines) for (doc, command, _), lines in pairs]


def stale() -> list[tuple[str, str, list[str], list[str]]]:
    """(document, command, quoted, actual) for each example that no longer matches."""
    found = []
    for (doc, command, _), actual in zip(EXAMPLES, outputs(), strict=True):
        lines = (ROOT / doc).read_text(encoding="utf-8").split("\n")
        start, end = block(lines, command)
        quoted = [line.rstrip() for line in lines[start:end]]
        if quoted != actual:
            found.append((doc, command, quoted, actual))
    return found


def write() -> None:
    for (doc, command, _), actual in zip(EXAMPLES, outputs(), strict=True):
        path = ROOT / doc
        lines = path.read_text(encoding="utf-8").split("\n")
        start, end = block(lines, command)
        lines[start:end] = actual
        path.write_text("\n".join(lines), encoding="utf-8")


def methods_quote() -> list[str]:
    """docs/methods.md's quoted paragraph for CN MM from NZ, as the core writes it (the
    tests compare it with the joined "> " lines), wrapped at 90 columns."""
    import textwrap

    sys.path.insert(0, str(ROOT / "src"))
    import cartcost
    from cartcost.metadata import methods_paragraph

    rates = cartcost.load_rates()
    est = cartcost.estimate(rates, cartcost.Scenario(country="CN", indication="MM", origin="NZ"))
    text = methods_paragraph(est, rates)
    return ["> " + line for line in textwrap.wrap(text, 88, break_on_hyphens=False)]


def write_methods() -> None:
    path = ROOT / "docs" / "methods.md"
    lines = path.read_text(encoding="utf-8").split("\n")
    quoted = [i for i, line in enumerate(lines) if line.startswith("> ")]
    lines[quoted[0] : quoted[-1] + 1] = methods_quote()
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    if "--write" in sys.argv[1:]:
        write()
        write_methods()
    for doc, command, _, _ in stale():
        print(f"{doc}: `{command}` is stale (python docs/examples.py --write)")


if __name__ == "__main__":
    main()
