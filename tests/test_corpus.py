"""The bad-input corpus: broken rate tables and overlays, each refused cleanly.

tests/corpus/rates/*.toml are whole tables (used as CARTCOST_BASE_RATES), and
tests/corpus/overlays/*.toml are overlays over tests/fixtures/mini.toml (--rates). The
tables below say, for every file, what its message must contain: the key path and the
problem. Inputs too big or too odd to keep as files (a million-element array, 100,000
keys, 10,000 levels of nesting, a 6 MB file, truncations of mini.toml) are built here.

Every case must: exit 2, print nothing on stdout, name the file and what is wrong on
stderr in at most one screen (40 lines), with no traceback and no escape sequence.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from tests.clihelp import run
from tests.conftest import MINI

CORPUS = Path(__file__).parent / "corpus"
ONE_SCREEN = 40

# Whole tables: file -> what the message must contain.
RATES: dict[str, tuple[str, ...]] = {
    "empty.toml": ("file is empty",),
    "whitespace-only.toml": ("file is empty",),
    "comments-only.toml": ("meta: required key is missing", "countries: required key"),
    "binary-junk.toml": ("NUL bytes",),
    "utf16.toml": ("NUL bytes",),
    "latin1.toml": ("not UTF-8", "offset 28"),
    "bom.toml": ("byte-order mark",),
    "syntax-unclosed-header.toml": ("TOML syntax error", "line 1"),
    "only-meta.toml": ("sources: required key is missing", "fx: required key is missing"),
    "wrong-top-level-types.toml": (
        "meta: expected a table, got integer 1",
        "countries: expected a table, got integer 5",
        "fx: expected a table, got array",
    ),
    "json-not-toml.toml": ("TOML syntax error", "line 1"),
    "yaml-not-toml.toml": ("TOML syntax error", "line 1"),
    "html-error-page.toml": ("TOML syntax error", "line 1"),
    "git-conflict.toml": ("TOML syntax error", "line 3"),
}

# Overlays over mini.toml: file -> what the message must contain.
HOSPITAL = "countries.CN.hospital"
OVERLAYS: dict[str, tuple[str, ...]] = {
    "negative-amount.toml": (f"{HOSPITAL}.inpatient_day.range[0]", "must not be negative"),
    "nan-amount.toml": (f"{HOSPITAL}.inpatient_day.range[0]", "finite", "NaN"),
    "inf-amount.toml": (f"{HOSPITAL}.inpatient_day.range[1]", "finite", "Infinity"),
    "huge-1e400.toml": (f"{HOSPITAL}.inpatient_day.range[1]", "implausibly large"),
    "low-greater-than-high.toml": (f"{HOSPITAL}.inpatient_day:", "greater than high"),
    "string-amounts.toml": (f"{HOSPITAL}.inpatient_day.range[0]", "expected a number, got str"),
    "bool-amount.toml": (f"{HOSPITAL}.inpatient_day.range[0]", "expected a number, got bool"),
    "date-amount.toml": (f"{HOSPITAL}.inpatient_day.range[1]", "expected a number, got date"),
    "range-three-items.toml": (f"{HOSPITAL}.inpatient_day.range", "at most 2 items"),
    "range-not-a-list.toml": (f"{HOSPITAL}.inpatient_day.range", "expected an array"),
    "range-empty.toml": (f"{HOSPITAL}.inpatient_day.range[0]", "missing"),
    "duration-ten-thousand-years.toml": (
        "countries.CN.durations.nearby_days:",
        "implausibly long",
    ),
    "unknown-currency.toml": (f"{HOSPITAL}.inpatient_day.currency", "XYZ has no rate"),
    "lowercase-currency.toml": ("countries.CN.living.meals_day.currency", "ISO 4217"),
    "unknown-source-id.toml": (f"{HOSPITAL}.workup.sources", "unknown source id 'no-such-source'"),
    "empty-sources.toml": (f"{HOSPITAL}.workup.sources", "at least 1 item"),
    "missing-sources.toml": (f"{HOSPITAL}.workup.sources", "required key is missing"),
    "typical-outside-range.toml": (f"{HOSPITAL}.workup", "typical 20000 is outside"),
    "dangling-product.toml": ("countries.CN.offers.c-cel.product", "unknown product 'c-cel'"),
    "dangling-indication.toml": ("countries.CN.offers.a-cel.indications", "unknown indication"),
    "unknown-key.toml": (f"{HOSPITAL}.inpatient_nights", "unknown key"),
    "table-is-a-number.toml": (f"{HOSPITAL}:", "expected a table, got integer 5"),
    "offers-is-text.toml": ("countries.CN.offers", "expected a table, got string"),
    "bad-country-code.toml": ("countries.china:", "ISO 3166"),
    "unknown-region.toml": ("countries.NZ.region", "'east-asia'"),
    "incomplete-destination.toml": ("countries.NZ:", "missing: hospital, durations"),
    "fx-zero-rate.toml": ("fx:", "zero for CNY"),
    "fx-base-not-one.toml": ("fx:", "must be 1"),
    "bad-date.toml": ("meta.as_of", "date"),
    "unknown-source-kind.toml": ("sources.off.kind", "'official'"),
    "source-without-url.toml": ("sources.off:", "http(s) url"),
    "assumption-without-basis.toml": ("sources.guess:", "basis"),
    "unused-source.toml": ("sources.lonely:", "never used"),
    "visa-fee-without-default.toml": ("countries.US.entry.visa_fee.default", "expected a table"),
    "unknown-nationality.toml": ("countries.CN.entry.visa_free_days.XX", "unknown country"),
    "fractional-visa-free-days.toml": ("visa_free_days.GB", "whole number of days"),
    "negative-visa-free-days.toml": ("visa_free_days.GB", "must not be negative"),
    "unknown-route-country.toml": ("flights.routes.NZ", "unknown country 'XX'"),
    "duplicate-key.toml": ("TOML syntax error", "Cannot overwrite a value", "line 3"),
    "duplicate-table.toml": ("TOML syntax error", "twice", "line 4"),
    "syntax-unclosed-string.toml": ("TOML syntax error", "line 2"),
    "syntax-missing-value.toml": ("TOML syntax error", "line 2"),
    "terminal-escape.toml": ("indications.MM.name", "control character (\\x1b"),
    "bidi-override.toml": ("products.a-cel.brand", "control character (\\u202e"),
    # Identifiers are exactly what they look like: ASCII, matched whole, selectable.
    "currency-code-newline.toml": ("meals_day.currency", "ISO 4217", "'USD\\n'"),
    "country-code-newline.toml": ("countries.CN\\n:", "ISO 3166"),
    "product-id-lookalike.toml": ("products.a\u2010cel:", "printable ASCII"),
    "lowercase-indication.toml": ("indications.fl:", "must be upper case"),
    "uppercase-product-id.toml": ("products.C-CEL:", "must be lower case"),
    "duplicate-brand.toml": ("products.c-cel.brand", "also the brand of 'a-cel'"),
    # The validator's bounds are those the cost model computes with.
    "fx-rate-1e-400.toml": ("fx:", "within [0.000001", "CNY 1E-400"),
    "fx-rate-huge.toml": ("fx:", "within [0.000001", "CNY 1E+10"),
    "amount-huge-in-base.toml": ("offers.a-cel.price.range", "at fx.rates.CNY = 0.000001"),
    # A pegged currency has one rate, from a known currency, in force at the rates' date.
    "fx-peg-also-a-rate.toml": ("fx:", "pegs.AED", "also has a rate in [fx.rates]"),
    "fx-peg-unknown-per.toml": ("fx:", "pegs.AED.per", "XYZ has no rate in [fx.rates]"),
    "fx-peg-after-rates-date.toml": ("fx:", "pegs.AED.since", "not in force"),
    "fx-peg-unknown-source.toml": ("fx.pegs.AED.sources", "unknown source id 'no-such-bank'"),
    "fx-peg-out-of-bounds.toml": ("fx:", "pegs.XAA", "outside [0.000001"),
    # How rates move: known currencies, every pair once, correlations that can hold.
    "fx-moves-correlation-above-one.toml": ("fx.moves.correlation.CNY-NZD", "from -1 to 1"),
    "transfers-bank-implausible.toml": ("transfers: bank: 0.4", "at most 0.25"),
    "transfers-one-provider.toml": ("transfers", "or bank and specialist"),
    "scheme-settles-unknown.toml": ("schemes.cheque.settles", "'direct' or 'refund'"),
    "fx-moves-missing-pair.toml": ("fx.moves:", "no value for GBP-NZD"),
    "fx-moves-impossible.toml": ("fx.moves:", "not positive semi-definite"),
    "fx-moves-unknown-currency.toml": ("fx:", "moves.volatility.XYZ", "no rate in [fx.rates]"),
    "fx-moves-unknown-source.toml": ("fx.moves.sources", "unknown source id 'no-such-history'"),
    "fx-moves-volatility-above-one.toml": ("fx.moves:", "volatility.CNY", "from 0 to 1"),
    "fx-moves-pair-out-of-order.toml": ("fx.moves:", "correlation.NZD-CNY", "such as CNY-NZD"),
}


def assert_clean_failure(
    result: Result, file: str | Path, needles: tuple[str, ...], code: int = 2
) -> None:
    """Exit `code`, stdout empty, stderr one screen naming the file and each needle."""
    err = result.stderr
    assert result.exit_code == code, (result.exit_code, err)
    assert result.stdout == ""
    assert "Traceback" not in result.output
    assert "\x1b" not in result.output
    assert len(err.splitlines()) <= ONE_SCREEN, err
    assert str(file) in err, err
    for needle in needles:
        assert needle in err, (needle, err)


def test_every_corpus_file_has_its_expectation() -> None:
    assert {p.name for p in (CORPUS / "rates").iterdir()} == set(RATES)
    assert {p.name for p in (CORPUS / "overlays").iterdir()} == set(OVERLAYS)
    assert len(RATES) + len(OVERLAYS) >= 40


@pytest.mark.parametrize("name", sorted(RATES))
def test_broken_whole_table(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = CORPUS / "rates" / name
    monkeypatch.setenv("CARTCOST_BASE_RATES", str(path))
    assert_clean_failure(run("estimate", "-c", "CN", "-i", "MM"), path, RATES[name])


@pytest.mark.parametrize("name", sorted(OVERLAYS))
def test_broken_overlay(name: str) -> None:
    path = CORPUS / "overlays" / name
    result = run("estimate", "-c", "CN", "-i", "MM", "--rates", str(path))
    assert_clean_failure(result, path, OVERLAYS[name])


@pytest.mark.parametrize("name", sorted(OVERLAYS))
def test_broken_overlay_through_every_table_command(name: str) -> None:
    """Commands other than estimate load tables the same way and fail the same way."""
    path = CORPUS / "overlays" / name
    for args in (
        ["compare", "-i", "MM", "-c", "CN,US"],
        ["sources"],
        ["countries"],
        ["products", "-F", "json"],
    ):
        result = run(*args, "--rates", str(path))
        assert_clean_failure(result, path, OVERLAYS[name][:1])


@pytest.mark.parametrize("name", sorted(RATES))
def test_rates_validate_reports_broken_tables(name: str) -> None:
    path = CORPUS / "rates" / name
    result = run("rates", "validate", "--standalone", str(path))
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert str(path) in result.stderr
    for needle in RATES[name]:
        assert needle in result.output, (needle, result.output)


# ---------------------------------------------------------------- built here


def _mini() -> str:
    return MINI.read_text(encoding="utf-8")


def _cut_inside(marker: str) -> Callable[[], bytes]:
    """mini.toml truncated just after `marker`: a download or copy cut short."""

    def build() -> bytes:
        text = _mini()
        return text[: text.index(marker) + len(marker)].encode()

    return build


def _deep_arrays(depth: int) -> bytes:
    return f"[countries.CN.hospital]\nx = {'[' * depth}{']' * depth}\n".encode()


def _deep_inline(depth: int) -> bytes:
    return f"[countries.CN.hospital]\nx = {'{a = ' * depth}1{'}' * depth}\n".encode()


def _enormous_array() -> bytes:
    body = ", ".join(["700"] * 1_000_000)
    return f'[countries.CN.hospital]\ninpatient_day = {{ range = [{body}], currency = "CNY", sources = ["guess"] }}\n'.encode()


def _many_keys() -> bytes:
    lines = ["[countries]", *(f"K{i:06d} = {i}" for i in range(100_000))]
    return "\n".join(lines).encode()


def _many_problems() -> bytes:
    lines = ["[countries.CN.hospital]", *(f"typo{i} = 1" for i in range(300))]
    return "\n".join(lines).encode()


def _long_text() -> bytes:
    return f'[products.a-cel]\nbrand = "{"A" * 100}"\nmaker = 7\n'.encode()


def _megabyte_brand() -> bytes:
    """A 1 MB brand once made `compare --svg` take two minutes and 630 MB."""
    return f'[products.a-cel]\nbrand = "{"A" * 1_000_000}"\n'.encode()


def _megabyte_note() -> bytes:
    return f'[sources.off]\nnote = "{"n" * 1_000_000}"\n'.encode()


# Built inputs: name -> (build, what the message must contain). Those derived from
# mini.toml replace the whole table; the others are overlays.
WHOLE = ("truncated-", "mini-", "oversized")
GENERATED: dict[str, tuple[Callable[[], bytes], tuple[str, ...]]] = {
    "truncated-in-inline-table.toml": (
        _cut_inside("inpatient_day = { range = [700,"),
        ("TOML syntax error",),
    ),
    "truncated-in-header.toml": (_cut_inside("[countries.CN.offers.b"), ("TOML syntax error",)),
    "truncated-in-string.toml": (_cut_inside('title = "An offi'), ("TOML syntax error",)),
    "truncated-at-line.toml": (
        _cut_inside('currency = "CNY"\nregion = "east-asia"\n'),
        ("sources.guess:", "never used"),
    ),
    "mini-with-bom.toml": (lambda: b"\xef\xbb\xbf" + MINI.read_bytes(), ("byte-order mark",)),
    "mini-with-nul.toml": (lambda: MINI.read_bytes().replace(b"Ministry", b"Min\0istry"), ("NUL",)),
    "mini-in-cp1252.toml": (
        lambda: _mini().replace("Ministry", "Ministère").encode("cp1252"),
        ("not UTF-8",),
    ),
    "oversized.toml": (lambda: b"#" * (5 * 1024 * 1024 + 1), ("limit",)),
    "deep-arrays.toml": (lambda: _deep_arrays(10_000), ("nested too deeply",)),
    "deep-inline-tables.toml": (lambda: _deep_inline(10_000), ("nested too deeply",)),
    "deep-arrays-parseable.toml": (lambda: _deep_arrays(300), ("nested over 32 levels",)),
    "deep-inline-parseable.toml": (lambda: _deep_inline(300), ("nested over 32 levels",)),
    "enormous-array.toml": (_enormous_array, (f"{HOSPITAL}.inpatient_day.range", "at most 2")),
    "100k-keys.toml": (_many_keys, ("countries.K000000", "more (`cartcost rates validate`")),
    "many-problems.toml": (_many_problems, (f"{HOSPITAL}.typo0", "... and 275 more")),
    "long-text-wrong-type.toml": (_long_text, ("products.a-cel.maker", "expected text")),
    "megabyte-brand.toml": (_megabyte_brand, ("products.a-cel.brand", "at most 200")),
    "megabyte-note.toml": (_megabyte_note, ("sources.off.note", "at most 4,000")),
}


# The two biggest take seconds each to build and parse: slow.
SLOW_GENERATED = {"enormous-array.toml", "100k-keys.toml"}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.slow) if name in SLOW_GENERATED else name
        for name in sorted(GENERATED)
    ],
)
def test_generated_broken_input(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build, needles = GENERATED[name]
    path = tmp_path / name
    content = build()
    path.write_bytes(content)
    if name != "oversized.toml":
        assert len(content) < 5 * 1024 * 1024  # within the size limit: parsed, not refused
    if name.startswith(WHOLE):
        monkeypatch.setenv("CARTCOST_BASE_RATES", str(path))
        result = run("estimate", "-c", "CN", "-i", "MM")
    else:
        result = run("estimate", "-c", "CN", "-i", "MM", "--rates", str(path))
    assert_clean_failure(result, path, needles)


def test_deep_dotted_header_is_refused_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "deep-dotted-header.toml"
    path.write_text("[" + ".".join(["countries", "CN"] + ["a"] * 1000) + "]\nx = 1\n")
    result = run("estimate", "-c", "CN", "-i", "MM", "--rates", str(path))
    assert_clean_failure(result, path, ("nested",))


def test_missing_overlay(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    result = run("estimate", "-c", "CN", "-i", "MM", "--rates", str(path))
    assert_clean_failure(result, path, ("file not found",))


def test_overlay_is_a_directory(tmp_path: Path) -> None:
    result = run("estimate", "-c", "CN", "-i", "MM", "--rates", str(tmp_path))
    assert_clean_failure(result, tmp_path, ("directory",))


def test_overlay_is_a_symlink_loop(tmp_path: Path) -> None:
    loop = tmp_path / "loop.toml"
    loop.symlink_to(loop)
    result = run("estimate", "-c", "CN", "-i", "MM", "--rates", str(loop))
    assert_clean_failure(result, loop, ("cannot read",))


def test_overlay_is_an_endless_device() -> None:
    """/dev/zero never ends: only a regular file is read, so it is refused at once."""
    result = run("estimate", "-c", "CN", "-i", "MM", "--rates", "/dev/zero")
    assert_clean_failure(result, "/dev/zero", ("not a regular file",))


# ---------------------------------------------------------------- files that are not files


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("role", ["--rates", "--scenario", "config", "base"])
def test_a_fifo_is_refused_at_once_never_read(
    role: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A FIFO with no writer blocked forever in open(); one with an endless writer would
    never end. Inputs are opened without blocking and read only if regular files."""
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    args = ["estimate", "-c", "CN", "-i", "MM"]
    if role == "config":
        monkeypatch.setenv("CARTCOST_CONFIG_DIR", str(tmp_path))
        fifo.rename(tmp_path / "config.toml")
        fifo = tmp_path / "config.toml"
    elif role == "base":
        monkeypatch.setenv("CARTCOST_BASE_RATES", str(fifo))
    else:
        args += [role, str(fifo)]

    def hung(*_: object) -> None:
        raise AssertionError("reading a FIFO hung")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(30)  # a regression fails here instead of hanging the suite
    try:
        result = run(*args)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert result.exit_code == 2
    assert "FIFO" in result.stderr and "not a regular file" in result.stderr
    assert str(fifo) in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("var", "setting"),
    [
        ("CARTCOST_RATES", "~nosuchuser-cartcost/quote.toml"),
        ("CARTCOST_CONFIG_DIR", "~nosuchuser-cartcost/cfg"),
    ],
)
def test_an_unknown_user_in_a_path_setting_is_named(
    var: str, setting: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(var, setting)
    result = run("estimate", "-c", "CN", "-i", "MM")
    assert result.exit_code == 2, result.output
    assert var in result.stderr and "~nosuchuser-cartcost" in result.stderr
    assert "Traceback" not in result.output and "internal error" not in result.stderr


def test_an_unknown_user_in_a_config_or_scenario_rates_list_is_named(tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text('rates = ["~nosuchuser-cartcost/q.toml"]\n')
    result = run("estimate", "-c", "CN", "-i", "MM", "--scenario", str(scenario))
    assert result.exit_code == 2, result.output
    assert str(scenario) in result.stderr and "~nosuchuser-cartcost" in result.stderr
    assert "internal error" not in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_overlay(tmp_path: Path) -> None:
    path = tmp_path / "secret.toml"
    path.write_text("[meta]\n")
    path.chmod(0)
    result = run("estimate", "-c", "CN", "-i", "MM", "--rates", str(path))
    assert_clean_failure(result, path, ("cannot read",))


def test_several_broken_layers_are_reported_together(monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken base table and a broken overlay: both named in one message."""
    base = CORPUS / "rates" / "bom.toml"
    overlay = CORPUS / "overlays" / "duplicate-key.toml"
    monkeypatch.setenv("CARTCOST_BASE_RATES", str(base))
    result = run("estimate", "-c", "CN", "-i", "MM", "--rates", str(overlay))
    assert_clean_failure(result, base, ("byte-order mark",))
    assert str(overlay) in result.stderr and "Cannot overwrite" in result.stderr


def test_overlays_from_the_environment_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    path = CORPUS / "overlays" / "low-greater-than-high.toml"
    monkeypatch.setenv("CARTCOST_RATES", str(path))
    result = run("estimate", "-c", "CN", "-i", "MM")
    assert_clean_failure(result, path, OVERLAYS[path.name])
