"""Shell completion offers the table's country, indication and product codes."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cartcost.cli import app, complete


def _complete(words: str) -> str:
    env = {"_CARTCOST_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": words}
    return CliRunner().invoke(app, [], env=env, prog_name="cartcost").output


@pytest.mark.parametrize(
    ("words", "offered"),
    [
        ("cartcost estimate --from N", '"NZ":"New Zealand"'),
        ("cartcost estimate -c C", '"CN":"China"'),
        ("cartcost estimate -i M", '"MM":"Multiple myeloma"'),
        ("cartcost compare -c CN,U", '"CN,US":"United States"'),
        ("cartcost compare -i LBCL -p a", '"a-cel":"Acel"'),
    ],
)
def test_codes_are_offered(words: str, offered: str) -> None:
    assert offered in _complete(words)


def test_destinations_only_where_a_destination_is_asked_for() -> None:
    assert [c for c, _ in complete.destinations("")] == ["CN", "US"]
    assert "GB" in [c for c, _ in complete.countries("")]


def test_a_broken_table_completes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARTCOST_BASE_RATES", "/nonexistent/rates.toml")
    assert complete.countries("") == []
