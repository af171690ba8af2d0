"""What both benchmarks share: which cartcost to run and which rate table to run it on.

Not a test. The benchmarks run the cartcost installed in the current environment (the
`cartcost` script beside this Python), else `python -m cartcost` from this checkout.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "data" / "rates.toml"
MINI = ROOT / "tests" / "fixtures" / "mini.toml"


def cartcost_command() -> list[str]:
    script = Path(sys.executable).parent / "cartcost"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "cartcost"]


def environment(cache_dir: Path) -> tuple[dict[str, str], str]:
    """The environment for the runs, and which table it uses (the real one if it
    exists and validates, else the test fixture). The table cache goes to cache_dir, so
    the user's is left alone."""
    env = dict(os.environ)
    env.pop("CARTCOST_RATES", None)
    env.pop("CARTCOST_BASE_RATES", None)
    env["CARTCOST_CACHE_DIR"] = str(cache_dir)
    if not (Path(sys.executable).parent / "cartcost").is_file():
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p
        )
    table = f"real table {REAL.relative_to(ROOT)}"
    ok = REAL.is_file() and (
        subprocess.run(
            [*cartcost_command(), "estimate", "-c", "US", "-i", "LBCL", "-F", "json"],
            env={**env, "CARTCOST_BASE_RATES": str(REAL)},
            capture_output=True,
        ).returncode
        == 0
    )
    if ok:
        env["CARTCOST_BASE_RATES"] = str(REAL)
    else:
        env["CARTCOST_BASE_RATES"] = str(MINI)
        table = f"test fixture {MINI.relative_to(ROOT)} (data/rates.toml missing or invalid)"
    return env, table


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )
