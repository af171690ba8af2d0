"""A broken rate table is reported with file, key path and what is wrong, all at once."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from cartcost.errors import RatesError
from cartcost.rates import validate
from cartcost.ratesfile import read_toml
from tests.clihelp import run
from tests.conftest import MINI


def mini() -> dict[str, Any]:
    return tomllib.loads(MINI.read_text(), parse_float=Decimal)


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(RatesError) as info:
        validate(data, file="t.toml")
    return [str(p) for p in info.value.problems]


def test_fixture_is_valid() -> None:
    rates = validate(mini())
    assert rates.destinations() == ["CN", "US"]


@pytest.mark.parametrize(
    ("mutate", "path", "needle"),
    [
        (
            lambda d: d["countries"]["CN"]["hospital"].pop("workup"),
            "countries.CN.hospital.workup",
            "missing",
        ),
        (
            lambda d: d["countries"]["CN"]["hospital"]["workup"].update(range=["a", 1]),
            "countries.CN.hospital.workup.range[0]",
            "expected a number",
        ),
        (
            lambda d: d["countries"]["CN"]["hospital"]["workup"].update(range=[-1, 1]),
            "countries.CN.hospital.workup.range[0]",
            "negative",
        ),
        (
            lambda d: d["countries"]["CN"]["hospital"]["workup"].update(range=[Decimal("nan"), 1]),
            "countries.CN.hospital.workup.range[0]",
            "finite",
        ),
        (
            lambda d: d["countries"]["CN"]["hospital"]["workup"].update(range=[Decimal("inf"), 1]),
            "countries.CN.hospital.workup.range[0]",
            "finite",
        ),
        (
            lambda d: d["countries"]["CN"]["hospital"]["workup"].update(
                range=[1, Decimal("1e400")]
            ),
            "countries.CN.hospital.workup.range[1]",
            "implausibly large",
        ),
        (
            lambda d: d["countries"]["CN"]["hospital"]["workup"].update(range=[9, 1]),
            "countries.CN.hospital.workup",
            "greater than high",
        ),
        (
            lambda d: d["countries"]["CN"]["hospital"]["workup"].update(currency="XYZ"),
            "countries.CN.hospital.workup.currency",
            "no rate in [fx.rates]",
        ),
        (
            lambda d: d["countries"]["CN"]["hospital"]["workup"].update(sources=["nope"]),
            "countries.CN.hospital.workup.sources",
            "unknown source id 'nope'",
        ),
        (
            lambda d: d["countries"]["CN"]["offers"]["a-cel"].update(product="zzz"),
            "countries.CN.offers.a-cel.product",
            "unknown product",
        ),
        (
            lambda d: d["countries"]["CN"]["offers"]["a-cel"].update(indications=["QQ"]),
            "countries.CN.offers.a-cel.indications",
            "unknown indication",
        ),
        (
            lambda d: d["countries"]["CN"]["hospital"].update(bogus=1),
            "countries.CN.hospital.bogus",
            "unknown key",
        ),
        (lambda d: d["countries"]["CN"].pop("living"), "countries.CN", "missing: living"),
        (
            lambda d: d["sources"]["off"].update(kind="rumour"),
            "sources.off.kind",
            "Input should be",
        ),
        (lambda d: d["sources"]["guess"].update(note=""), "sources.guess", "basis"),
        (lambda d: d["fx"]["rates"].update(USD=2), "fx", "must be 1"),
    ],
)
def test_each_kind_of_breakage_names_its_key_path(mutate: Any, path: str, needle: str) -> None:
    data = mini()
    mutate(data)
    found = problems_of(data)
    assert any(f"t.toml: {path}" in p and needle in p for p in found), found


def test_every_problem_is_reported_at_once() -> None:
    data = mini()
    data["countries"]["CN"]["hospital"]["workup"]["range"] = [9, 1]
    data["countries"]["US"]["hospital"]["workup"]["sources"] = ["nope"]
    data["countries"]["US"]["living"]["meals_day"]["currency"] = "QQQ"
    found = problems_of(data)
    assert len(found) >= 2


def test_unused_source_is_an_error() -> None:
    data = mini()
    data["sources"]["lonely"] = dict(data["sources"]["off"])
    assert any("sources.lonely" in p and "never used" in p for p in problems_of(data))


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "empty"),
        (b"[meta\nschema = 1", "TOML syntax error"),
        (b"\xef\xbb\xbf[meta]\n", "byte-order mark"),
        (b"\x00\x01\x02junk", "NUL"),
        (b"\xff\xfe[meta]", "not UTF-8"),
    ],
)
def test_unreadable_files(tmp_path: Path, content: bytes, needle: str) -> None:
    path = tmp_path / "t.toml"
    path.write_bytes(content)
    with pytest.raises(RatesError) as info:
        read_toml(path)
    assert needle in str(info.value.problems[0])
    assert str(path) in str(info.value.problems[0])


def test_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_bytes(b"# " + b"x" * (5 * 1024 * 1024 + 10))
    with pytest.raises(RatesError, match="problem") as info:
        read_toml(path)
    assert "limit" in str(info.value.problems[0])


def test_cli_reports_broken_base_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = mini()
    data["countries"]["CN"]["hospital"]["workup"]["range"] = [9, 1]
    data["countries"]["CN"]["hospital"]["apheresis"]["currency"] = "QQQ"
    path = tmp_path / "broken.toml"
    path.write_text(tomli_w.dumps(data))
    monkeypatch.setenv("CARTCOST_BASE_RATES", str(path))
    result = run("estimate", "-c", "CN", "-i", "MM")
    assert result.exit_code == 2
    assert "countries.CN.hospital.workup" in result.stderr
    assert "countries.CN.hospital.apheresis.currency" in result.stderr
    assert str(path) in result.stderr
    assert "Traceback" not in result.output
