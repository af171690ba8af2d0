"""The validated-table cache: a hit is the same table, anything odd is a miss.

Every test runs with its own empty CARTCOST_CACHE_DIR (conftest.py). Expected figures are
hand-computed from tests/fixtures/mini.toml (USD base; CNY = 7) and overlay-quote.toml
(CN inpatient day 900-1400 CNY; CN inpatient stay 14-21 days).
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cartcost import cache, ratesfile
from cartcost.errors import RatesError
from cartcost.estimation import estimate
from cartcost.rates import Rates
from cartcost.ratesfile import Layers, load_rates
from cartcost.scenario import Scenario
from tests.clihelp import run
from tests.conftest import FIXTURES, MINI

QUOTE = FIXTURES / "overlay-quote.toml"


def entries() -> list[Path]:
    directory = cache.cache_dir()
    assert directory is not None
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.name.endswith(cache.SUFFIX))


def only_entry() -> Path:
    found = entries()
    assert len(found) == 1, found
    return found[0]


def inpatient_usd(rates: Rates) -> tuple[Decimal, Decimal]:
    line = next(
        i for i in estimate(rates, Scenario("CN", "MM")).items if i.key == "hospital.inpatient"
    )
    assert line.amount is not None
    return line.amount.low, line.amount.high


class Parsed:
    """Counts TOML parses, to tell a cache hit (no parse) from a miss."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = ratesfile.parse_toml

        def counting(raw: bytes, name: str) -> dict[str, Any]:
            self.count += 1
            return real(raw, name)

        monkeypatch.setattr(ratesfile, "parse_toml", counting)


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> Parsed:
    return Parsed(monkeypatch)


# ---------------------------------------------------------------- hits


def test_first_load_writes_one_entry_and_the_second_is_a_hit_equal_to_it(
    parsed: Parsed,
) -> None:
    first_rates, first_layers = load_rates()
    assert parsed.count == 1
    path = only_entry()
    key = path.name.removeprefix(cache.PREFIX).removesuffix(cache.SUFFIX)
    assert len(key) == 64 and set(key) <= set("0123456789abcdef"), path.name
    assert path.read_bytes().startswith(cache.MAGIC + key.encode() + b"\n")

    second_rates, second_layers = load_rates()
    assert parsed.count == 1, "a hit must not parse the table again"
    assert second_rates == first_rates
    assert second_rates is not first_rates
    # The cache keeps names and who wrote what, not the merged data (rates show asks).
    assert second_layers == first_layers.slim()
    assert second_layers.names == first_layers.names and not second_layers.complete
    assert entries() == [path]
    _, full = load_rates(with_data=True)
    assert parsed.count == 2 and full == first_layers and full.complete


def test_a_hit_gives_exactly_the_same_figures(parsed: Parsed) -> None:
    fresh, _ = load_rates()
    cached, _ = load_rates()
    assert parsed.count == 1
    # mini.toml: CN inpatient 14-21 days at 700-1400 CNY, CNY = 7 per USD.
    assert inpatient_usd(fresh) == inpatient_usd(cached) == (Decimal(1400), Decimal(4200))
    fx = cached.fx.rates["GBP"]
    assert str(fx) == "0.5" and isinstance(fx, Decimal)
    assert cached.meta.as_of.isoformat() == "2026-01-01"


SCENARIOS = st.builds(
    Scenario,
    country=st.sampled_from(["CN", "US"]),
    indication=st.sampled_from(["MM", "LBCL"]),
    origin=st.sampled_from([None, "NZ", "GB", "CN", "US"]),
    caregivers=st.integers(0, 3),
    currency=st.sampled_from([None, "USD", "CNY", "NZD", "GBP"]),
    lives_nearby=st.booleans(),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=SCENARIOS)
def test_property_estimate_from_the_cache_equals_estimate_from_the_toml(
    scenario: Scenario,
) -> None:
    from cartcost.errors import CartcostError

    fresh = ratesfile.validate_layers(ratesfile.load_layers([]))
    load_rates()  # fills the cache (or hits it, after the first example)
    cached, _ = load_rates()
    try:
        expected = estimate(fresh, scenario)
    except CartcostError as error:
        with pytest.raises(type(error)) as raised:
            estimate(cached, scenario)
        assert raised.value.message == error.message
        return
    assert estimate(cached, scenario) == expected


def test_cli_output_is_the_same_on_a_miss_and_on_a_hit() -> None:
    commands = [
        ("estimate", "-c", "CN", "-i", "MM", "--from", "NZ", "-F", "json"),
        ("estimate", "-c", "CN", "-i", "MM", "--sources", "--rates", str(QUOTE)),
        ("compare", "-i", "MM", "--from", "GB", "-F", "csv"),
        ("rates", "show", "--country", "CN", "--rates", str(QUOTE)),
        ("sources", "--rates", str(QUOTE), "-F", "json"),
    ]
    for args in commands:
        for path in entries():
            path.unlink()
        miss = run(*args)
        assert miss.exit_code == 0, miss.stderr
        assert entries(), f"{args} left nothing in the cache"
        hit = run(*args)
        assert (hit.exit_code, hit.stdout, hit.stderr) == (0, miss.stdout, miss.stderr), args


def test_provenance_survives_the_cache() -> None:
    load_rates([QUOTE])
    _, layers = load_rates([QUOTE])
    assert layers.names == (str(MINI), str(QUOTE))
    assert layers.layer_of("countries.CN.hospital.inpatient_day") == str(QUOTE)
    assert layers.layer_of("countries.CN.hospital.workup") == str(MINI)
    _, full = load_rates([QUOTE], with_data=True)
    assert "cn-quote" in full.cited
    assert full.data["countries"]["CN"]["hospital"]["inpatient_day"]["range"] == [900, 1400]
    assert full.layer_of("countries.CN.hospital.inpatient_day") == str(QUOTE)


# ---------------------------------------------------------------- what makes a new key


def test_changing_a_layer_rebuilds_with_the_new_figures(tmp_path: Path, parsed: Parsed) -> None:
    overlay = tmp_path / "quote.toml"
    shutil.copy(QUOTE, overlay)
    rates, _ = load_rates([overlay])
    # 14 x 900 / 7 = 1800 USD; 21 x 1400 / 7 = 4200 USD.
    assert inpatient_usd(rates) == (Decimal(1800), Decimal(4200))

    overlay.write_text(QUOTE.read_text().replace("[900, 1400]", "[1400, 2100]"))
    rates, _ = load_rates([overlay])
    # 14 x 1400 / 7 = 2800 USD; 21 x 2100 / 7 = 6300 USD.
    assert inpatient_usd(rates) == (Decimal(2800), Decimal(6300))
    assert parsed.count == 4  # two layers, twice: the change was a miss
    assert len(entries()) == 2


def test_changing_the_base_table_rebuilds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parsed: Parsed
) -> None:
    base = tmp_path / "base.toml"
    shutil.copy(MINI, base)
    monkeypatch.setenv("CARTCOST_BASE_RATES", str(base))
    assert load_rates()[0].fx.rates["CNY"] == 7
    base.write_text(MINI.read_text().replace("CNY = 7\n", "CNY = 7.5\n"))
    assert load_rates()[0].fx.rates["CNY"] == Decimal("7.5")
    assert parsed.count == 2


def test_the_same_bytes_under_another_name_are_another_entry(tmp_path: Path) -> None:
    first = tmp_path / "a.toml"
    second = tmp_path / "b.toml"
    shutil.copy(QUOTE, first)
    shutil.copy(QUOTE, second)
    assert load_rates([first])[1].names[-1] == str(first)
    _, layers = load_rates([second])
    assert layers.names[-1] == str(second)
    assert layers.layer_of("countries.CN.hospital.inpatient_day") == str(second)
    assert len(entries()) == 2


def test_layer_order_is_part_of_the_key() -> None:
    a = cache.table_key([("a", b"x = 1\n"), ("b", b"x = 2\n")])
    b = cache.table_key([("b", b"x = 2\n"), ("a", b"x = 1\n")])
    # Length-prefixed parts: moving a byte from a name to its content changes the key.
    c = cache.table_key([("ab", b"x")])
    d = cache.table_key([("a", b"bx")])
    assert len({a, b, c, d}) == 4
    assert a == cache.table_key([("a", b"x = 1\n"), ("b", b"x = 2\n")])


def test_key_changes_with_version_python_pydantic_and_schema(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    layers = [("<embedded>", b"x = 1\n")]
    before = cache.table_key(layers)
    monkeypatch.setattr(cache, "__version__", "99.0")
    after_version = cache.table_key(layers)
    monkeypatch.setattr(cache.sys, "version", "3.99.0 (test)")
    after_python = cache.table_key(layers)
    monkeypatch.setattr(cache, "_pydantic_version", lambda: "0.0")
    after_pydantic = cache.table_key(layers)
    monkeypatch.setattr(cache, "_schema_fingerprint", lambda: b"another schema")
    after_schema = cache.table_key(layers)
    assert len({before, after_version, after_python, after_pydantic, after_schema}) == 5


def test_schema_fingerprint_reads_the_schema_modules() -> None:
    here = Path(cache.__file__).parent
    for name in cache.SCHEMA_MODULES:
        assert (here / name).is_file(), name
    assert len(cache._schema_fingerprint()) == 32


# ---------------------------------------------------------------- never trusted blindly


def damage_and_reload(damage: Any, parsed: Parsed) -> Path:
    """Fill the cache, damage its file, load again: a miss that rewrites a good entry."""
    expected, _ = load_rates()
    path = only_entry()
    damage(path)
    rates, _ = load_rates()
    assert rates == expected
    assert parsed.count == 2, "the damaged entry must not have been used"
    load_rates()
    assert parsed.count == 2, "the rebuilt entry must be good"
    return path


def test_a_corrupt_byte_is_a_miss_and_the_entry_is_rebuilt(parsed: Parsed) -> None:
    def flip(path: Path) -> None:
        blob = bytearray(path.read_bytes())
        blob[-100] ^= 0xFF
        path.write_bytes(bytes(blob))

    damage_and_reload(flip, parsed)


def test_a_changed_byte_that_still_unpickles_is_a_miss(parsed: Parsed) -> None:
    """Only the digest can tell: the pickle is still valid, its table is not the file's."""

    def edit(path: Path) -> None:
        blob = path.read_bytes()
        assert blob.count(b"Multiple myeloma") >= 1
        path.write_bytes(blob.replace(b"Multiple myeloma", b"Multiple myelomA"))

    damage_and_reload(edit, parsed)
    assert load_rates()[0].indications["MM"].name == "Multiple myeloma"


def test_a_truncated_entry_is_a_miss(parsed: Parsed) -> None:
    def truncate(path: Path) -> None:
        blob = path.read_bytes()
        path.write_bytes(blob[: len(blob) // 2])

    damage_and_reload(truncate, parsed)


@pytest.mark.parametrize(
    "junk",
    [b"", b"\x00" * 64, b"not a cache at all\n", b"\x80\x05K\x01.", cache.MAGIC],
    ids=["empty", "nul", "text", "bare-pickle", "magic-only"],
)
def test_junk_is_a_miss(junk: bytes, parsed: Parsed) -> None:
    damage_and_reload(lambda path: path.write_bytes(junk), parsed)


def test_an_entry_for_another_key_is_a_miss(parsed: Parsed) -> None:
    """A file renamed (or copied) to another key's name repeats its own key inside."""

    def swap_key(path: Path) -> None:
        blob = path.read_bytes()
        key = path.name[len(cache.PREFIX) : -len(cache.SUFFIX)]
        path.write_bytes(blob.replace(key.encode(), ("0" * len(key)).encode(), 1))

    damage_and_reload(swap_key, parsed)


def forge(path: Path, value: object) -> None:
    """A well-formed entry (magic, key, digest) holding `value` instead of a table."""
    key = path.name[len(cache.PREFIX) : -len(cache.SUFFIX)]
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    path.write_bytes(cache._header(key) + cache.hashlib.sha256(payload).digest() + payload)


SIDE_EFFECTS: list[str] = []


class Boom:
    """A class (so only the allow-list stops it) that acts when it is made."""

    def __init__(self, what: str) -> None:
        SIDE_EFFECTS.append(what)


class Hostile:
    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (Boom, ("ran",))


def test_a_forged_entry_cannot_run_code(parsed: Parsed) -> None:
    SIDE_EFFECTS.clear()
    pickle.loads(pickle.dumps(Hostile()))
    assert SIDE_EFFECTS == ["ran"]  # what a plain unpickler would do
    SIDE_EFFECTS.clear()
    damage_and_reload(lambda path: forge(path, Hostile()), parsed)
    assert SIDE_EFFECTS == []


@pytest.mark.parametrize(
    "value",
    [
        (1, 2),
        ("rates", "layers"),
        [],
        (Decimal(1), Layers(("<embedded>",), {})),
    ],
    ids=["ints", "strings", "list", "not-rates"],
)
def test_a_well_formed_entry_of_the_wrong_shape_is_a_miss(value: object, parsed: Parsed) -> None:
    damage_and_reload(lambda path: forge(path, value), parsed)


def test_a_cached_table_for_other_layer_names_is_a_miss(parsed: Parsed) -> None:
    def other_names(path: Path) -> None:
        rates, layers = load_rates()
        forge(path, (rates, Layers(("elsewhere.toml",), layers.data)))

    damage_and_reload(other_names, parsed)


def test_only_schema_classes_decimal_date_and_layers_may_be_unpickled() -> None:
    allowed = ratesfile._cacheable
    assert allowed("cartcost.rates", "Rates")
    assert allowed("cartcost.rates", "Money")
    assert allowed("cartcost.ratesfile", "Layers")
    assert allowed("decimal", "Decimal")
    assert allowed("datetime", "date")
    for module, name in [
        ("cartcost.rates", "validate"),  # a function, not a model
        ("cartcost.rates", "BaseModel"),  # pydantic's, not the schema's
        ("cartcost.rates", "re"),
        ("builtins", "eval"),
        ("os", "system"),
        ("datetime", "datetime"),
        ("cartcost.ratesfile", "load_rates"),
    ]:
        assert not allowed(module, name), (module, name)


def test_an_oversized_entry_is_not_read(monkeypatch: pytest.MonkeyPatch, parsed: Parsed) -> None:
    monkeypatch.setattr(cache, "MAX_BYTES", 1000)
    load_rates()
    assert entries()  # written, but too big to be read back
    load_rates()
    assert parsed.count == 2


# ---------------------------------------------------------------- errors and odd places


def test_a_broken_table_is_never_cached(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[countries.CN.hospital]\ninpatient_day = { range = [2, 1], currency = "CNY" }\n'
    )
    for _ in range(2):
        with pytest.raises(RatesError):
            load_rates([bad])
    assert entries() == []


def test_an_unreadable_layer_is_reported_not_cached(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    with pytest.raises(RatesError) as raised:
        load_rates([missing])
    assert [p.message for p in raised.value.problems] == ["file not found"]
    assert entries() == []


def test_problems_of_several_files_are_reported_in_layer_order(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    broken = tmp_path / "broken.toml"
    broken.write_text("[countries\n")
    with pytest.raises(RatesError) as raised:
        load_rates([broken, missing])
    files = [p.file for p in raised.value.problems]
    assert files == [str(broken), str(missing)]


def test_an_unwritable_cache_dir_is_silently_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parsed: Parsed
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv(cache.DIR_ENV_VAR, str(blocker / "cache"))
    first, _ = load_rates()
    second, _ = load_rates()
    assert first == second
    assert parsed.count == 2
    result = run("estimate", "-c", "CN", "-i", "MM", "-F", "json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert json.loads(result.stdout)["country_name"] == "China"


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0, reason="root ignores file permissions"
)
def test_a_read_only_cache_dir_is_silently_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "ro"
    directory.mkdir()
    directory.chmod(0o500)
    monkeypatch.setenv(cache.DIR_ENV_VAR, str(directory))
    try:
        assert load_rates()[0] == load_rates()[0]
    finally:
        directory.chmod(0o700)
    assert list(directory.iterdir()) == []


def test_store_leaves_no_temporary_file_behind_when_it_cannot_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cache.DIR_ENV_VAR, str(tmp_path))

    def refuse(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache.os, "replace", refuse)
    assert cache.store("0" * 64, ("a", 1)) is False
    assert list(tmp_path.iterdir()) == []


def test_store_then_load_round_trip_and_unpicklable_values_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cache.DIR_ENV_VAR, str(tmp_path / "made"))
    key = "ab" * 32
    assert cache.store(key, (Decimal("1.50"), "x"))
    assert cache.load(key, lambda module, name: (module, name) == ("decimal", "Decimal")) == (
        Decimal("1.50"),
        "x",
    )
    assert cache.load(key, lambda module, name: False) is None
    assert cache.load("cd" * 32, lambda module, name: True) is None
    assert cache.store("ef" * 32, lambda: None) is False  # a lambda does not pickle


def test_a_cache_dir_from_the_env_is_made_only_if_its_parent_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cache.DIR_ENV_VAR, str(tmp_path / "missing" / "cache"))
    assert cache.store("0" * 64, 1) is False
    assert not (tmp_path / "missing").exists()
    monkeypatch.setenv(cache.DIR_ENV_VAR, str(tmp_path / "cache"))
    assert cache.store("0" * 64, 1) is True
    assert (tmp_path / "cache").is_dir()


def test_the_platform_cache_dir_is_made_with_its_parents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(cache.DIR_ENV_VAR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg" / "cache"))
    monkeypatch.setattr(cache.sys, "platform", "linux")
    assert cache.store("0" * 64, 1) is True
    assert (tmp_path / "xdg" / "cache" / "cartcost").is_dir()
    assert cache.load("0" * 64, lambda module, name: False) == 1


def test_only_the_newest_entries_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.DIR_ENV_VAR, str(tmp_path))
    keys = [f"{i:064x}" for i in range(cache.MAX_ENTRIES + 3)]
    for age, key in enumerate(keys):
        assert cache.store(key, age)
        path = cache.entry_path(key)
        assert path is not None
        os.utime(path, (1_000_000 + age, 1_000_000 + age))
    cache.prune(tmp_path)
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept == sorted(f"{cache.PREFIX}{k}{cache.SUFFIX}" for k in keys[-cache.MAX_ENTRIES :])
    (tmp_path / "unrelated.txt").write_text("left alone")
    cache.prune(tmp_path, limit=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"{cache.PREFIX}{keys[-1]}{cache.SUFFIX}",
        "unrelated.txt",
    ]


def test_config_overlays_still_apply_and_are_part_of_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_dir = Path(os.environ["CARTCOST_CONFIG_DIR"])
    config_dir.mkdir(parents=True, exist_ok=True)
    overlay = tmp_path / "quote.toml"
    shutil.copy(QUOTE, overlay)
    (config_dir / "config.toml").write_text(f'rates = ["{overlay}"]\n')
    for _ in range(2):
        rates, layers = load_rates()
        assert layers.names == (str(MINI), str(overlay))
        assert inpatient_usd(rates) == (Decimal(1800), Decimal(4200))
    (config_dir / "config.toml").write_text("rates = []\n")
    rates, layers = load_rates()
    assert layers.names == (str(MINI),)
    assert inpatient_usd(rates) == (Decimal(1400), Decimal(4200))


def test_validation_leaves_the_pydantic_plugin_switch_as_it_was(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS", raising=False)
    load_rates()
    assert "PYDANTIC_DISABLE_PLUGINS" not in os.environ
    monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "logfire")
    for path in entries():
        path.unlink()
    load_rates()
    assert os.environ["PYDANTIC_DISABLE_PLUGINS"] == "logfire"


# ---------------------------------------------------------------- where the cache lives


def test_cache_dir_env_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(cache.DIR_ENV_VAR, str(tmp_path / "here"))
    assert cache.cache_dir() == tmp_path / "here"
    monkeypatch.setenv(cache.DIR_ENV_VAR, "~/cc")
    assert cache.cache_dir() == Path.home() / "cc"


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("linux", {"XDG_CACHE_HOME": "/xdg"}, "/xdg/cartcost"),
        ("linux", {"XDG_CACHE_HOME": "relative/ignored"}, "{home}/.cache/cartcost"),
        ("linux", {}, "{home}/.cache/cartcost"),
        ("darwin", {"XDG_CACHE_HOME": "/xdg"}, "{home}/Library/Caches/cartcost"),
        ("win32", {"LOCALAPPDATA": "/appdata/local"}, "/appdata/local/cartcost/Cache"),
        ("win32", {}, "{home}/AppData/Local/cartcost/Cache"),
    ],
)
def test_cache_dir_per_platform(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    platform: str,
    env: dict[str, str],
    expected: str,
) -> None:
    monkeypatch.delenv(cache.DIR_ENV_VAR)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("LOCALAPPDATA", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(cache.sys, "platform", platform)
    monkeypatch.setattr(cache.Path, "home", staticmethod(lambda: tmp_path))
    assert cache.cache_dir() == Path(expected.format(home=tmp_path))


def test_no_home_means_no_cache(monkeypatch: pytest.MonkeyPatch, parsed: Parsed) -> None:
    monkeypatch.delenv(cache.DIR_ENV_VAR)

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(cache.Path, "home", staticmethod(no_home))
    assert cache.cache_dir() is None
    assert cache.entry_path("0" * 64) is None
    assert cache.load("0" * 64, lambda module, name: True) is None
    assert cache.store("0" * 64, 1) is False
    assert load_rates()[0] == load_rates()[0]
    assert parsed.count == 2


# ---------------------------------------------------------------- the cache trusts only its owner
#
# A file planted in a shared cache directory (CARTCOST_CACHE_DIR=/tmp/x, or a cartcost/
# someone made under XDG_CACHE_HOME) made every estimate show a product at USD 0.15,
# or put raw escapes on screen, while `rates validate` said ok. Now a directory is used
# only if it is the user's alone, an entry only if it is a regular file of the user's
# alone, and what is unpickled is re-checked (ratesfile.sound) before use.

FOREIGN_UID = 65534  # nobody
AS_ROOT = pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() != 0, reason="giving a file away needs root"
)


def cheap(rates: Rates) -> Rates:
    """The attack: the same table with CN's first offer at 1 CNY (USD 0.14)."""
    cn = rates.countries["CN"]
    oid, offer = next(iter(cn.offers.items()))
    price = offer.price._replace(range=(Decimal(1), Decimal(1)))
    offers = {**cn.offers, oid: offer._replace(price=price)}
    return rates._replace(countries={**rates.countries, "CN": cn._replace(offers=offers)})


def plant(path: Path, rates: Rates, layers: Layers) -> None:
    forge(path, (rates, layers.slim()))


@pytest.mark.parametrize("mode", [0o777, 0o1777, 0o770, 0o757])
def test_a_cache_dir_others_may_write_to_is_not_used(
    mode: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parsed: Parsed
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    monkeypatch.setenv(cache.DIR_ENV_VAR, str(shared))
    expected, layers = load_rates()  # an entry written while the directory was private
    entry = only_entry()
    plant(entry, cheap(expected), layers)
    shared.chmod(mode)
    cache.NOTES.clear()
    rates, _ = load_rates()
    assert rates == expected and parsed.count == 2
    assert any("others may write" in note for note in cache.NOTES)
    result = run("estimate", "-c", "CN", "-i", "MM", "-F", "csv")
    assert result.exit_code == 0
    assert "cartcost: note: table cache directory" in result.stderr
    assert ",1,1," not in result.stdout and ",0.14," not in result.stdout
    assert entries() == [entry]  # nothing written into a shared directory either


@AS_ROOT
def test_a_cache_dir_of_another_user_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parsed: Parsed
) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o755)
    monkeypatch.setenv(cache.DIR_ENV_VAR, str(theirs))
    expected, layers = load_rates()
    plant(only_entry(), cheap(expected), layers)
    os.chown(theirs, FOREIGN_UID, FOREIGN_UID)
    cache.NOTES.clear()
    assert load_rates()[0] == expected and parsed.count == 2
    assert any(f"uid {FOREIGN_UID}" in note for note in cache.NOTES)


@AS_ROOT
def test_a_pre_made_xdg_cache_dir_of_another_user_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parsed: Parsed
) -> None:
    monkeypatch.delenv(cache.DIR_ENV_VAR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(cache.sys, "platform", "linux")
    planted = tmp_path / "xdg" / "cartcost"
    planted.mkdir(parents=True, mode=0o755)
    os.chown(planted, FOREIGN_UID, FOREIGN_UID)
    assert load_rates()[0] == load_rates()[0]
    assert parsed.count == 2
    assert list(planted.iterdir()) == []


@AS_ROOT
def test_an_entry_of_another_user_is_rebuilt(parsed: Parsed) -> None:
    expected, layers = load_rates()
    entry = only_entry()
    plant(entry, cheap(expected), layers)
    os.chown(entry, FOREIGN_UID, FOREIGN_UID)
    cache.NOTES.clear()
    assert load_rates()[0] == expected and parsed.count == 2
    assert any("belongs to another user" in note for note in cache.NOTES)
    assert entry.stat().st_uid == os.geteuid()  # replaced by our own
    assert load_rates()[0] == expected and parsed.count == 2  # and then used


@pytest.mark.parametrize("mode", [0o666, 0o620, 0o602])
def test_an_entry_others_may_write_to_is_rebuilt(mode: int, parsed: Parsed) -> None:
    expected, layers = load_rates()
    entry = only_entry()
    plant(entry, cheap(expected), layers)
    entry.chmod(mode)
    assert load_rates()[0] == expected and parsed.count == 2
    assert entry.stat().st_mode & 0o077 == 0


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_entry_never_hangs(parsed: Parsed) -> None:
    expected, _ = load_rates()
    entry = only_entry()
    entry.unlink()
    os.mkfifo(entry)
    assert load_rates()[0] == expected and parsed.count == 2


def test_an_entry_that_is_a_symlink_is_not_followed(tmp_path: Path, parsed: Parsed) -> None:
    expected, layers = load_rates()
    entry = only_entry()
    elsewhere = tmp_path / "elsewhere.pickle"
    plant(entry, cheap(expected), layers)
    entry.rename(elsewhere)
    entry.symlink_to(elsewhere)
    cache.NOTES.clear()
    assert load_rates()[0] == expected and parsed.count == 2
    assert not entry.is_symlink()  # replaced by a real entry
    assert elsewhere.exists()


def test_an_unknown_user_in_the_cache_dir_setting_is_no_cache(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(cache.DIR_ENV_VAR, "~nosuchuser-cartcost/cache")
    result = run("estimate", "-c", "CN", "-i", "MM", "-F", "csv")
    assert result.exit_code == 0, result.output
    assert "CARTCOST_CACHE_DIR" in result.stderr and "no table cache" in result.stderr


# Forged entries of the right shape with what validation never lets through: each must
# be a miss, rebuilt from the files.


def _replace_at(node: Any, path: list[str], fn: Any) -> Any:
    if not path:
        return fn(node)
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        return {**node, head: _replace_at(node[head], rest, fn)}
    return node._replace(**{head: _replace_at(getattr(node, head), rest, fn)})


def _figure_paths(rates: Rates) -> list[list[str]]:
    from cartcost.rates import walk_figures

    return [path.split(".") for path, _ in walk_figures(rates)]


POISONS = {
    "negative": lambda fig: fig._replace(range=(Decimal(-1), fig.range[1])),
    "nan": lambda fig: fig._replace(range=(Decimal("NaN"), fig.range[1])),
    "infinite": lambda fig: fig._replace(range=(fig.range[0], Decimal("Infinity"))),
    "unordered": lambda fig: fig._replace(range=(fig.range[1] + 1, fig.range[1])),
    "huge": lambda fig: fig._replace(range=(fig.range[0], Decimal("1e30"))),
    "escape-note": lambda fig: fig._replace(note="\x1b]0;owned\x07"),
    "bidi-note": lambda fig: fig._replace(note="\u202e1 DSU"),
    "float": lambda fig: fig._replace(range=(0.5, fig.range[1])),
    "text-range": lambda fig: fig._replace(range="ab"),
    "negative-int": lambda fig: fig._replace(range=(-1, fig.range[1])),
    "list-range": lambda fig: fig._replace(range=[fig.range[0], fig.range[1]]),
}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(poison=st.sampled_from(sorted(POISONS)), pick=st.integers(0, 10_000))
def test_property_a_forged_entry_breaking_an_invariant_is_never_used(
    poison: str,
    pick: int,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whatever figure is poisoned, and however: sound() refuses it, load_rates rebuilds."""
    directory = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv(cache.DIR_ENV_VAR, str(directory))
    expected, layers = load_rates()
    paths = _figure_paths(expected)
    bad = _replace_at(expected, paths[pick % len(paths)], POISONS[poison])
    assert ratesfile.sound(bad) is not None
    plant(only_entry(), bad, layers)
    assert load_rates()[0] == expected


@pytest.mark.parametrize(
    "forge_table",
    [
        lambda r: r._replace(fx=r.fx._replace(rates={**r.fx.rates, "CNY": Decimal("1e-400")})),
        lambda r: r._replace(fx=r.fx._replace(rates={**r.fx.rates, "CNY": Decimal("1e12")})),
        lambda r: r._replace(indications={**r.indications, "MM\x1b[2J": r.indications["MM"]}),
        lambda r: r._replace(indications={"MM": r.indications["MM"]._replace(name="\x1b[31mMM")}),
        lambda r: r._replace(meta=r.meta._replace(title=object())),
    ],
    ids=["fx-tiny", "fx-huge", "escape-in-key", "escape-in-name", "foreign-object"],
)
def test_a_forged_entry_with_hostile_text_or_rates_is_rebuilt(
    forge_table: Any, parsed: Parsed
) -> None:
    expected, layers = load_rates()
    bad = forge_table(expected)
    assert ratesfile.sound(bad) is not None
    if bad.meta.title.__class__ is object:
        return  # not picklable through the allow-list anyway; sound() alone is the check
    plant(only_entry(), bad, layers)
    cache.NOTES.clear()
    assert load_rates()[0] == expected and parsed.count == 2
    assert any("failed a check" in note for note in cache.NOTES)


def test_the_real_table_passes_its_own_invariants(real_table: Path) -> None:
    assert ratesfile.sound(load_rates()[0]) is None


def test_pruning_deletes_only_what_the_cache_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cache.DIR_ENV_VAR, str(tmp_path))
    keys = [f"{i:064x}" for i in range(3)]
    for age, key in enumerate(keys):
        assert cache.store(key, age)
        path = cache.entry_path(key)
        assert path is not None
        os.utime(path, (1_000_000 + age, 1_000_000 + age))
    victim = tmp_path / "precious.txt"
    victim.write_text("keep")
    spared = {
        f"{cache.PREFIX}not-a-key{cache.SUFFIX}": "named almost like an entry",
        f"{cache.PREFIX}{'A' * 64}{cache.SUFFIX}": "upper-case hex: not a name the cache writes",
    }
    for name, text in spared.items():
        (tmp_path / name).write_text(text)
        os.utime(tmp_path / name, (1, 1))
    link = tmp_path / f"{cache.PREFIX}{'f' * 64}{cache.SUFFIX}"
    link.symlink_to(victim)
    os.utime(link, (1, 1), follow_symlinks=False)
    cache.prune(tmp_path, limit=1)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert f"{cache.PREFIX}{keys[-1]}{cache.SUFFIX}" in names
    assert all(f"{cache.PREFIX}{k}{cache.SUFFIX}" not in names for k in keys[:-1])
    assert link.is_symlink() and victim.read_text() == "keep"
    assert all((tmp_path / name).read_text() == text for name, text in spared.items())


@AS_ROOT
def test_pruning_leaves_another_users_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cache.DIR_ENV_VAR, str(tmp_path))
    old = f"{'0' * 64}"
    assert cache.store(old, 1)
    path = cache.entry_path(old)
    assert path is not None
    os.utime(path, (1, 1))
    os.chown(path, FOREIGN_UID, FOREIGN_UID)
    assert cache.store("1" * 64, 2)
    cache.prune(tmp_path, limit=1)
    assert path.exists()


@pytest.mark.parametrize(
    "title",
    ["Plain\x07bell", "Zürich\x1b[2J", "café\u0085", "Genève \u202etxt", "São Paulo\x7f"],
    ids=["ascii-c0", "wide-c0", "wide-c1", "wide-bidi", "wide-del"],
)
def test_a_control_character_is_found_beside_text_beyond_ascii(title: str) -> None:
    # The shipped table holds text beyond ASCII (names, dashes), which takes sound()'s
    # slower path: a control must be found in such text and in plain ASCII beside it.
    from tests.conftest import shared_real_rates

    real: Rates = shared_real_rates()
    assert ratesfile.sound(real) is None
    sid = next(iter(real.sources))
    bad = real._replace(sources={**real.sources, sid: real.sources[sid]._replace(title=title)})
    assert ratesfile.sound(bad) == "text with a control character"
