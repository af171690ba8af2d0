"""The table's records (rates.py) mirror the schema's models (schema.py) one for one."""

from __future__ import annotations

import pickle

import pytest
from pydantic import BaseModel

from cartcost import rates as records
from cartcost import schema
from cartcost.rates import FIGURES, RECORDS, Rates, figure_data, walk_figures


def schema_models() -> dict[str, type[BaseModel]]:
    return {
        name: cls
        for name, cls in vars(schema).items()
        if isinstance(cls, type)
        and issubclass(cls, schema.Model)
        and cls not in (schema.Model, schema.Figure)
    }


def test_every_model_has_a_record_with_the_same_fields() -> None:
    models = schema_models()
    assert set(models) == set(RECORDS)
    for name, model in models.items():
        assert set(RECORDS[name]._fields) == set(model.model_fields), name  # type: ignore[attr-defined]


def test_validation_gives_records_all_the_way_down(mini_rates: Rates) -> None:
    assert type(mini_rates) is records.Rates

    def check(node: object, path: str) -> None:
        assert not isinstance(node, BaseModel | list), path  # records and tuples only
        if type(node) in RECORDS.values():
            for name, value in zip(node._fields, node, strict=True):  # type: ignore[attr-defined]
                check(value, f"{path}.{name}")
        elif isinstance(node, dict):
            for key, value in node.items():
                check(value, f"{path}.{key}")

    check(mini_rates, "")
    offer = mini_rates.countries["CN"].offers["b-cel"]
    assert offer.includes == ("apheresis",)
    with pytest.raises(AttributeError):
        offer.price = offer.price  # type: ignore[misc]


def test_records_pickle_to_equal_records(mini_rates: Rates) -> None:
    assert pickle.loads(pickle.dumps(mini_rates, protocol=pickle.HIGHEST_PROTOCOL)) == mini_rates


def test_walk_figures_finds_each_figure_once_with_its_path(mini_rates: Rates) -> None:
    found = dict(walk_figures(mini_rates))
    assert all(isinstance(f, FIGURES) for f in found.values())
    assert (
        found["countries.CN.offers.a-cel.price"] == mini_rates.countries["CN"].offers["a-cel"].price
    )
    assert "fx" not in found and "meta" not in found
    money = found["countries.CN.hospital.workup"]
    assert figure_data(money) == {
        "range": list(money.range),
        "currency": "CNY",
        "sources": ["guess"],
    }
