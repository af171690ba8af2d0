"""Schema v2: figures keyed by choice, cities, bases, eligibility; records immutable."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from cartcost.errors import RatesError
from cartcost.rates import ByHospital, ByLiving, Money, Rates
from cartcost.ratesfile import read_toml
from cartcost.schema import validate

MINI = Path(__file__).parent / "fixtures" / "mini.toml"


def data() -> dict[str, Any]:
    return read_toml(MINI)


def money(low: int, high: int, ccy: str = "CNY", **extra: Any) -> dict[str, Any]:
    return {"range": [low, high], "currency": ccy, "sources": ["off"], **extra}


def problems(d: dict[str, Any]) -> list[str]:
    with pytest.raises(RatesError) as err:
        validate(d, "t.toml")
    return [f"{p.path}: {p.message}" for p in err.value.problems]


def test_keyed_hospital_living_and_city_validate_into_records() -> None:
    d = data()
    cn = d["countries"]["CN"]
    cn["hospital"]["inpatient_day"] = {"public": money(1, 2), "private": money(5, 9, basis="cash")}
    cn["living"]["meals_day"] = {
        "budget": money(1, 2),
        "standard": money(3, 4),
        "comfort": money(5, 6),
    }
    cn["cities"] = {"shanghai": {"name": "Shanghai", "living": {"lodging_night": money(7, 8)}}}
    cn["default_city"] = "shanghai"
    cn["default_hospital"] = "public"
    rates = validate(d)
    c = rates.countries["CN"]
    assert c.hospital is not None and isinstance(c.hospital.inpatient_day, ByHospital)
    assert c.hospital.inpatient_day.private == Money(
        range=(5, 9), sources=("off",), currency="CNY", basis="cash"
    )
    assert c.living is not None and isinstance(c.living.meals_day, ByLiving)
    assert c.cities["shanghai"].name == "Shanghai"
    assert c.default_city == "shanghai" and c.default_hospital == "public"


def test_a_keyed_figure_missing_a_listed_kind_is_named() -> None:
    d = data()
    cn = d["countries"]["CN"]
    cn["hospitals"] = ["public", "private"]
    cn["hospital"]["workup"] = {"private": money(1, 2)}
    found = problems(d)
    assert any(
        "countries.CN" in p and "hospital.workup has no figure for public" in p for p in found
    )


def test_living_keyed_needs_all_three_choices_and_known_choice_names() -> None:
    d = data()
    d["countries"]["CN"]["living"]["meals_day"] = {"budget": money(1, 2), "luxury": money(3, 4)}
    found = "\n".join(problems(d))
    assert "countries.CN.living.meals_day.standard: required key is missing" in found
    assert "countries.CN.living.meals_day.luxury: unknown key" in found


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("default_city", "paris", "default_city 'paris' has no [cities.paris]"),
        ("default_hospital", "vip", "a kind of hospital: public or private"),
        ("languages", ["english"], "ISO 639-1"),
    ],
)
def test_bad_choice_keys_say_what_is_valid(key: str, value: object, message: str) -> None:
    d = data()
    d["countries"]["CN"][key] = value
    assert any(message in p for p in problems(d))


def test_offer_eligibility_and_bases() -> None:
    d = data()
    offer = d["countries"]["CN"]["offers"]["a-cel"]
    offer["age_limits"] = {"MM": [18, 120]}
    offer["prices"] = {"cash": money(9, 10, basis="cash")}
    offer["foreign_patients"] = "yes"
    rates = validate(d)
    o = rates.countries["CN"].offers["a-cel"]
    assert o.age_limits == {"MM": (18, 120)} and o.foreign_patients == "yes"
    offer["age_limits"] = {"MM": [30, 20], "FL": [0, 5]}
    offer["prices"] = {"cash": money(9, 10, basis="list")}
    found = "\n".join(problems(d))
    assert "lowest age 30 is above highest 20" in found or "age_limits.FL" in found
    d2 = data()
    d2["countries"]["CN"]["offers"]["a-cel"]["prices"] = {"cash": money(9, 10, basis="list")}
    assert any("prices.cash says basis = 'list'" in p for p in problems(d2))
    d3 = data()
    d3["countries"]["CN"]["offers"]["a-cel"]["price"]["basis"] = "retail"
    assert any("price.basis" in p for p in problems(d3))


def test_records_cannot_be_changed_in_place(mini_rates: Rates) -> None:
    with pytest.raises(TypeError, match="immutable"):
        mini_rates.fx.rates["CNY"] = 1  # type: ignore[index]
    with pytest.raises(TypeError, match="immutable"):
        mini_rates.countries.pop("CN")  # type: ignore[attr-defined]


def test_shipped_table_parses_as_toml() -> None:
    with (Path(__file__).parents[1] / "data" / "rates.toml").open("rb") as f:
        assert "countries" in tomllib.load(f)
