"""Shared fixtures. Every test runs against tests/fixtures/mini.toml unless it asks for the
real table, and never touches the user's config or cache.

Every property test (one with @given) runs twice: as [quick], with a tenth of the examples
its @settings ask for (at least 5), in the default run; and as [thorough], with all of
them, marked slow (`python -m pytest -m slow`)."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import is_hypothesis_test, settings

FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "mini.toml"
REAL = Path(__file__).parents[1] / "data" / "rates.toml"


QUICK_SHARE = 10  # the default run tries 1/QUICK_SHARE of each property test's examples
QUICK_MIN = 5


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if is_hypothesis_test(metafunc.function):
        metafunc.parametrize(
            "hypothesis_examples",
            [
                pytest.param("quick", id="quick"),
                pytest.param("thorough", id="thorough", marks=pytest.mark.slow),
            ],
            indirect=True,
        )


@pytest.fixture(autouse=True)
def hypothesis_examples(request: pytest.FixtureRequest) -> Iterator[None]:
    """[quick] property tests try fewer examples; [thorough] ones as many as they ask."""
    if getattr(request, "param", None) != "quick":
        yield
        return
    test = getattr(request.function, "__func__", request.function)
    asked: settings = test._hypothesis_internal_use_settings
    test._hypothesis_internal_use_settings = settings(
        asked, max_examples=max(QUICK_MIN, asked.max_examples // QUICK_SHARE)
    )
    try:
        yield
    finally:
        test._hypothesis_internal_use_settings = asked


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


@functools.cache
def shared_real_rates():  # type: ignore[no-untyped-def]
    """The shipped table, validated once per test session: its records are immutable, so
    tests may share it (loading it per test costs about 0.4 s each)."""
    from cartcost.ratesfile import read_toml
    from cartcost.schema import validate

    return validate(read_toml(REAL), str(REAL))
