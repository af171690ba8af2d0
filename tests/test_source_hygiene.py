"""Source hygiene of the shipped table: every source points at its publisher, not a mirror.

The hosts below were once cited in data/rates.toml and replaced by the publisher's own
page: web proxies and library proxies that wrap another site, scrapers that republish
news or papers, and SEO content farms. A source must not come back through them. Nor
may a source cite a publisher's AMP copy (an "amp." host, an "/amp" path segment or an
"amp" query value) where its canonical page is the one to cite.
"""

from __future__ import annotations

import tomllib
from typing import Any
from urllib.parse import parse_qsl, urlparse

import pytest

from tests.conftest import REAL

# host -> why it is refused (a host also refuses its subdomains)
DENIED_HOSTS = {
    "proxy.weglot.com": "translation proxy wrapping another site",
    "laibokeji.com": "PubMed mirror",
    "brum.beds.ac.uk": "university library proxy",
    "bohrium.dp.tech": "paper mirror",
    "financetom.com": "scraped news (Reuters)",
    "einnews.com": "press-release reprints (FDA)",
    "whbl.com": "radio-station reprint of wire news (Reuters)",
    "parliamenttoday.com": "reprint of NICE press releases",
    "parallelparliament.co.uk": "third-party copy of UK Parliament questions",
    "taketonews.com": "scraped news (NRC)",
    "europesays.com": "scraped news (iSanidad)",
    "reportify.ai": "machine summaries of other outlets",
    "visualfoodie.com": "SEO content farm",
    "eatsip365.com": "SEO content farm",
    "winenfood.com": "SEO content farm",
    "vape-manufactory.com": "SEO content farm (a vape maker's blog)",
    "medicallyprime.com": "republished wire news (Reuters)",
    "platohealth.ai": "automated aggregator of other outlets' stories",
    "investing.com": "republished wire news (Reuters)",
    "clearcostestimate.com": "drug-cost aggregator (cite CMS or the maker)",
    "carecostestimate.com": "drug-cost aggregator (cite CMS or the maker)",
    "github.com": "copies of a publisher's files (cite the publisher's own page)",
    "githubusercontent.com": "copies of a publisher's files (cite the publisher's own page)",
}
# Sources on a denied host still cited, by source id, until the fact's canonical page is
# found: a new source on these hosts is refused; these are debts, listed with their reason.
DENIED_NOT_YET_REPLACED = {
    "platohealth-aucatzyl-2024": (
        "Aucatzyl's USD 525,000 list price (BioPharma Dive, 11 Nov 2024): only copies found, "
        "not BioPharma Dive's page nor Autolus's releases"
    ),
    "reuters-breyanzi-2024": (
        "Breyanzi's USD 487,477 WAC (Reuters, 14 Mar 2024): only reprints found, "
        "not reuters.com nor BMS's release"
    ),
}
# library proxies rewrite any host, e.g. www-scmp-com.libproxy1.nus.edu.sg
DENIED_HOST_PARTS = ("libproxy", "ezproxy")
# AMP copies still cited, by source id, until the canonical page is confirmed
AMP_NOT_YET_REPLACED = {
    "abc-cilta-cel-au-2024": "ABC's www.abc.net.au/news/<date>/<slug>/104123994 page not yet found",
}


def _sources() -> dict[str, Any]:
    with REAL.open("rb") as f:
        table: dict[str, Any] = tomllib.load(f)
    sources: dict[str, Any] = table["sources"]
    return sources


def _denied(host: str) -> str | None:
    for denied, why in DENIED_HOSTS.items():
        if host == denied or host.endswith("." + denied):
            return why
    for part in DENIED_HOST_PARTS:
        if part in host:
            return "library proxy"
    return None


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("proxy.weglot.com", "translation proxy wrapping another site"),
        ("api-pubmed-ncbi.laibokeji.com", "PubMed mirror"),
        ("0-ccforum-biomedcentral-com.brum.beds.ac.uk", "university library proxy"),
        ("www-scmp-com.libproxy1.nus.edu.sg", "library proxy"),
        ("pubmed.ncbi.nlm.nih.gov", None),
        ("www.nice.org.uk", None),
        ("notfinancetom.com", None),
    ],
)
def test_the_deny_list_matches_hosts_and_their_subdomains(host: str, why: str | None) -> None:
    assert _denied(host) == why


def test_no_source_points_at_a_mirror_proxy_or_content_farm() -> None:
    bad = []
    for sid, source in _sources().items():
        url = source.get("url", "")
        if not url or sid in DENIED_NOT_YET_REPLACED:
            continue  # assumption sources have no page; listed debts are allowed
        host = (urlparse(url).hostname or "").lower()
        why = _denied(host)
        if why:
            bad.append(f"{sid}: {host} ({why})")
    assert not bad, "sources on the deny-list:\n" + "\n".join(bad)


def _amp_copy(url: str) -> bool:
    """True for an AMP copy of a page: an "amp." host, an "/amp" path segment, or a query
    value "amp" (e.g. ?outputType=amp)."""
    parts = urlparse(url)
    host = (parts.hostname or "").lower()
    if host.split(".")[0] == "amp":
        return True
    if "amp" in parts.path.lower().split("/"):
        return True
    return any(value.lower() == "amp" for _, value in parse_qsl(parts.query))


def _amp_sources(sources: dict[str, Any]) -> list[str]:
    return [
        f"{sid}: {source['url']}"
        for sid, source in sources.items()
        if sid not in AMP_NOT_YET_REPLACED and _amp_copy(source.get("url", ""))
    ]


@pytest.mark.parametrize(
    ("url", "amp"),
    [
        ("https://amp.abc.net.au/article/104123994", True),
        (
            "https://www.ovb-heimatzeitungen.de/muenchen/2025/12/19/das-ist-neu-beim-mvv.ovb/amp",
            True,
        ),
        ("https://india-s-travel.com/amp/indian-emedical-attendant-visa", True),
        (
            "https://biz.chosun.com/en/en-science/2024/12/31/ISYPPSBC2BDNNJDG42NT7OKWIY/?outputType=amp",
            True,
        ),
        ("https://www.ovb-heimatzeitungen.de/muenchen/2025/12/19/das-ist-neu-beim-mvv.ovb", False),
        ("https://www.example.com/camp/ramp-stamp?page=example", False),
    ],
)
def test_amp_copies_are_recognised(url: str, amp: bool) -> None:
    assert _amp_copy(url) is amp


def test_an_amp_source_is_reported() -> None:
    fake = {
        "amp-copy": {"url": "https://amp.example.com/article/1"},
        "canonical": {"url": "https://www.example.com/news/2024-07-28/story/1"},
        "assumption": {},
    }
    assert _amp_sources(fake) == ["amp-copy: https://amp.example.com/article/1"]


def test_no_source_cites_an_amp_copy() -> None:
    sources = _sources()
    bad = _amp_sources(sources)
    assert not bad, "sources citing an AMP copy, not the canonical page:\n" + "\n".join(bad)
    # an exception lapses once its source cites the canonical page
    stale = [
        sid for sid in AMP_NOT_YET_REPLACED if not _amp_copy(sources.get(sid, {}).get("url", ""))
    ]
    assert not stale, "no longer AMP copies, drop from AMP_NOT_YET_REPLACED: " + ", ".join(stale)


def test_every_source_url_is_an_absolute_web_address() -> None:
    bad = []
    for sid, source in _sources().items():
        url = source.get("url", "")
        if not url:
            continue
        parts = urlparse(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            bad.append(f"{sid}: {url!r}")
    assert not bad, "\n".join(bad)


def test_the_listed_debts_are_still_real() -> None:
    # A debt repaid (the source gone or moved to a good host) leaves the list too.
    sources = _sources()
    for sid in DENIED_NOT_YET_REPLACED:
        assert sid in sources, f"{sid} is no longer cited: remove it from the list"
        host = (urlparse(sources[sid]["url"]).hostname or "").lower()
        assert _denied(host), f"{sid} is now on {host}: remove it from the list"
