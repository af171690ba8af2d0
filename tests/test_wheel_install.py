"""The wheel carries data/rates.toml: a non-editable install works from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


@pytest.mark.slow
def test_wheel_ships_the_table_and_estimates_from_anywhere(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("cartcost-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        assert "cartcost/data/rates.toml" in names
        assert zf.read("cartcost/data/rates.toml") == (ROOT / "data" / "rates.toml").read_bytes()
    # A fresh venv that borrows this environment's dependencies (appended to its path by a
    # .pth file, after its own site-packages), so the test needs no network.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    venv_site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(venv_site, "borrowed-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(wheel)],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARTCOST_")}
    env["PYTHONPATH"] = ""
    result = subprocess.run(
        [str(venv / "bin" / "cartcost"), "estimate", "--country", "CN", "--indication", "MM"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "Total" in result.stdout
    module = subprocess.run(
        [str(py), "-c", "import cartcost.ratesfile as r; print(r.embedded_path())"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(venv) in module.stdout  # the packaged copy, not the checkout's
    as_module = subprocess.run(
        [str(py), "-m", "cartcost", "--version"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    assert as_module.returncode == 0 and as_module.stdout.startswith("cartcost ")
