"""Render an estimate and a comparison to HTML and, when Chromium is installed, take a
phone and a desktop screenshot and a PDF of each with headless Chromium.

    PYTHONPATH=src python tools/render_html.py [--out DIR] [--chromium PATH]

Writes into DIR (default: a new temporary directory, printed): estimate.html,
estimate-budget.html, compare.html and, with Chromium, <name>-phone.png (412 px wide),
<name>-desktop.png (1280 px) and <name>.pdf for each. Nothing is loaded from the network:
Chromium runs with background networking off and the pages load nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PAGES = {
    "estimate": [
        "estimate",
        "-c",
        "CN",
        "-i",
        "MM",
        "--from",
        "NZ",
        "--prepared-by",
        "Ana Ruiz",
    ],
    "estimate-budget": [
        "estimate",
        "-c",
        "US",
        "-i",
        "LBCL",
        "--from",
        "GB",
        "--budget",
        "--draws",
        "20000",
    ],
    "compare": ["compare", "-i", "LBCL", "--from", "GB", "-c", "CN,IN,US,SG"],
}
SIZES = {"phone": "412,1600", "desktop": "1280,1600"}
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def render(name: str, args: list[str], out: Path) -> Path:
    path = out / f"{name}.html"
    subprocess.run(
        [sys.executable, "-m", "cartcost", *args, "--format", "html", "-o", str(path)],
        check=True,
    )
    return path


def chromium(binary: str, page: Path, out: Path, name: str) -> None:
    url = page.resolve().as_uri()
    for size, window in SIZES.items():
        with tempfile.TemporaryDirectory() as profile:
            shot = out / f"{name}-{size}.png"
            subprocess.run(
                [
                    binary,
                    *FLAGS,
                    f"--user-data-dir={profile}",
                    f"--screenshot={shot}",
                    f"--window-size={window}",
                    url,
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )
            print(f"wrote {shot}")
    with tempfile.TemporaryDirectory() as profile:
        pdf = out / f"{name}.pdf"
        subprocess.run(
            [
                binary,
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--print-to-pdf={pdf}",
                "--no-pdf-header-footer",
                url,
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        print(f"wrote {pdf}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="directory to write into")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", ""))
    opts = parser.parse_args()
    out = opts.out or Path(tempfile.mkdtemp(prefix="cartcost-html-"))
    out.mkdir(parents=True, exist_ok=True)
    binary = opts.chromium or shutil.which("chromium") or shutil.which("chromium-browser") or ""
    for name, args in PAGES.items():
        page = render(name, args, out)
        print(f"wrote {page}")
        if binary:
            chromium(binary, page, out, name)
    if not binary:
        print("no chromium found: HTML only (apt-get install chromium, or --chromium PATH)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
