"""docs/api.md's examples run as written, against the shipped table; the API matches
the command line's JSON and leaves the user's config and cache alone."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

DOC = Path(__file__).parents[1] / "docs" / "api.md"


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_the_page_has_examples() -> None:
    assert len(blocks()) >= 5


def test_every_example_runs_in_order(real_table: Path, capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, object] = {}
    for code in blocks():
        exec(compile(code, str(DOC), "exec"), namespace)
    out = capsys.readouterr().out
    assert "NZD" in out and "valid:" in out


def test_to_dict_is_the_json_the_command_writes(real_table: Path) -> None:
    import cartcost
    from cartcost.cli import app

    rates = cartcost.load_rates()
    s = cartcost.Scenario(country="CN", indication="MM", origin="NZ", caregivers=2)
    result = CliRunner().invoke(
        app, ["estimate", "-c", "CN", "-i", "MM", "--from", "NZ", "--caregivers", "2", "-F", "json"]
    )
    assert result.exit_code == 0, result.output
    written = json.loads(result.stdout)
    assert written.pop("meta")["schema_version"] == 2  # the run's record: the command's own
    assert cartcost.estimate(rates, s).to_dict() == written


def test_load_rates_writes_no_cache_and_reads_no_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cartcost

    cache = tmp_path / "cache"
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.toml").write_text('rates = ["missing-overlay.toml"]\n')
    monkeypatch.setenv("CARTCOST_CACHE_DIR", str(cache))
    monkeypatch.setenv("CARTCOST_CONFIG_DIR", str(config))
    rates = cartcost.load_rates()
    assert rates.destinations()
    assert not cache.exists() or not any(cache.iterdir())
    with pytest.raises(cartcost.CartcostError):
        cartcost.load_rates(use_config=True)  # the config names a missing overlay


def test_errors_are_domain_exceptions_not_exit(mini_rates: object) -> None:
    import cartcost

    rates = cartcost.load_rates()
    with pytest.raises(cartcost.UsageProblem, match="valid: public, private, any"):
        cartcost.estimate(rates, cartcost.Scenario("CN", "MM", hospital="vip"))
    with pytest.raises(cartcost.UsageProblem, match="age must be"):
        cartcost.estimate(rates, cartcost.Scenario("CN", "MM", age=200))
    with pytest.raises(cartcost.NothingMatches):
        cartcost.estimate(rates, cartcost.Scenario("GB", "MM"))


def test_import_is_lazy() -> None:
    import subprocess
    import sys

    code = (
        "import sys, cartcost; "
        "print(sorted(m for m in sys.modules if m.startswith(('cartcost.', 'numpy', 'pydantic', 'rich', 'typer'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
