"""Shared fixtures. Every test runs against tests/fixtures/mini.toml unless it asks for the
real table, and never touches the user's config or cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "mini.toml"
REAL = Path(__file__).parents[1] / "data" / "rates.toml"


@pytest.fixture(autouse=True)
def isolated_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("CARTCOST_BASE_RATES", str(MINI))
    monkeypatch.delenv("CARTCOST_RATES", raising=False)
    monkeypatch.delenv("CARTCOST_DEBUG", raising=False)
    monkeypatch.setenv("CARTCOST_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("CARTCOST_CACHE_DIR", str(home / "cache"))
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("TERMINAL_WIDTH", "100")
    monkeypatch.setenv("NO_COLOR", "1")
    yield


@pytest.fixture
def real_table(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Use the shipped data/rates.toml instead of the fixture."""
    monkeypatch.delenv("CARTCOST_BASE_RATES", raising=False)
    return REAL


@pytest.fixture
def mini_rates():  # type: ignore[no-untyped-def]
    from cartcost.ratesfile import load_rates

    rates, _ = load_rates()
    return rates
