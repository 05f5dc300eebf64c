"""Hostile-corpus rows for the defects of issue 9 that the poller path can meet: forbidden
addresses (feed URL, redirect hop, full-text link) and hostile items (non-web links, shared bare
GUIDs, one link with two contents, escaped scripts, windows-1251 declared as UTF-8).

The address cases connect to nothing: a refusal happens before any connection, which the runner's
audit hook records (``connects``), and within a bound far below the fetch timeout (a connection
attempt to an unrouted private address would wait for the timeout instead).
"""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import escape

from diplowire import devstack as stack
from tests.ingest import feedfiles as ff
from tests.ingest.hostile import server as hs
from tests.ingest.hostile.bodies import item, rss
from tests.ingest.hostile.cases import (
    Case,
    Check,
    Outcome,
    all_of,
    feed_only,
    never_requested,
    published,
)

REFUSAL_S = 1.5
"""Bound for a refused fetch: below the corpus's 2 s fetch timeout, so a refusal that waited for
a connection to an unrouted address could not pass."""
DEFAULT_POLICY: dict[str, Any] = {"allow_addresses": []}
"""Settings without the corpus's 127.0.0.1 exception: the poller's default address policy."""

# Hosts (as written in a URL) the corpus's allow-list (127.0.0.1 only) does not cover; {port} is
# the hostile server's, so a fetch that wrongly went ahead would find the server or nothing.
FORBIDDEN = {
    "loopback_127_0_0_2": "127.0.0.2:{port}",
    "loopback_v6": "[::1]:{port}",
    "unspecified": "0.0.0.0:{port}",
    "this_network": "0.1.2.3",
    "private_10": "10.0.0.1",
    "private_172": "172.16.0.1",
    "private_192": "192.168.1.1",
    "metadata": "169.254.169.254",
    "metadata_v6": "[fd00:ec2::254]",
    "cgnat": "100.64.0.1",
    "multicast": "224.0.0.1",
    "broadcast": "255.255.255.255",
    "link_local_v6": "[fe80::1]",
    "unique_local_v6": "[fd00::1]",
    "mapped_v6_loopback": "[::ffff:127.0.0.2]:{port}",
    "nat64_loopback": "[64:ff9b::7f00:2]:{port}",
    "decimal_loopback": "2130706434:{port}",
    "hex_loopback": "0x7f.2:{port}",
}
REDIRECTED = ("loopback_127_0_0_2", "loopback_v6", "metadata", "private_10", "decimal_loopback")


def _target(key: str, srv: hs.HostileServer, prefix: str, path: str = "feed") -> str:
    return f"http://{FORBIDDEN[key].format(port=srv.port)}{prefix}{path}"


def refused(o: Outcome) -> None:
    """Nothing but the local Kafka and the hostile server itself (the redirecting feed, the feed
    listing internal links) was connected to: each refusal came before its connect."""
    allowed = {o.result["kafka"], f"127.0.0.1:{o.port}"}
    assert set(o.result["connects"]) <= allowed, o.result["connects"]


def nothing_connected(o: Outcome) -> None:
    """Only Kafka was connected to: the feed URL itself was refused before any connect."""
    assert set(o.result["connects"]) <= {o.result["kafka"]}, o.result["connects"]


def _forbidden_feed(key: str) -> Case:
    return Case(
        f"forbidden_{key}",
        lambda _srv, _p: {},
        "forbidden_address",
        time_s=REFUSAL_S,
        url=lambda srv, p: _target(key, srv, p),
        check=all_of(nothing_connected, never_requested("feed")),
    )


def _forbidden_hop(key: str) -> Case:
    return Case(
        f"redirect_to_{key}",
        lambda srv, p: {"feed": hs.redirect(302, _target(key, srv, p, "inner"))},
        "forbidden_address",
        time_s=REFUSAL_S,
        check=all_of(refused, never_requested("inner")),
    )


def _es_url() -> str:
    return stack.es_url().rstrip("/") + "/_cat/indices?format=json"


# -- items ----------------------------------------------------------------------------------------


def _guid(n: int, guid: str, title: str | None = None, link: str | None = None) -> str:
    return item(n, title=title, link=link).replace(
        "</item>", f'<guid isPermaLink="false">{guid}</guid></item>'
    )


NON_HTTP = (
    "javascript:alert(1)",
    "data:text/html,<b>x</b>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
)
SCRIPT = "&lt;script&gt;alert(document.cookie)&lt;/script&gt;"


def skipped(**reasons: int) -> Check:
    def check(o: Outcome) -> None:
        assert o.report["skipped"] == reasons, o.report["skipped"]

    return check


def published_total(n: int) -> Check:
    def check(o: Outcome) -> None:
        assert sum(p["report"]["published"] for p in o.result["passes"]) == n
        assert len(o.articles) == n

    return check


def distinct_versions_1(o: Outcome) -> None:
    """Every published record is its own article, first version, under its own link."""
    assert len({a.id for a in o.articles}) == len(o.articles)
    assert all(a.version == 1 for a in o.articles), [(a.url, a.version) for a in o.articles]
    assert len({a.canonical_url for a in o.articles}) == len(o.articles)


def no_script(o: Outcome) -> None:
    for a in o.articles:
        body = a.body().lower()
        assert "<script" not in body and "alert(" not in body and "&lt;" not in body, a.title


def fulltext_refused(n: int) -> Check:
    def check(o: Outcome) -> None:
        assert o.report["failures"] == {"fulltext_page_forbidden_address": n}, o.report
        assert o.report["fulltext_failed"] == n and o.report["fulltext_ok"] == 0

    return check


_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def cyrillic(o: Outcome) -> None:
    """Titles read as Russian: most letters Cyrillic, none of UTF-8 or cp1252 mojibake."""
    assert o.articles
    for a in o.articles:
        letters = [c for c in a.title if c.isalpha()]
        assert len(_CYRILLIC.findall(a.title)) > len(letters) / 2, a.title
        assert not any(c in a.title for c in "ÐÑÃÂ\ufffd"), a.title


def _cp1251_as_utf8() -> bytes:
    text = '<?xml version="1.0" encoding="UTF-8"?>\n' + ff.real("liga-novosti-ru.xml").decode()
    return text.encode("cp1251")


def _internal_links(srv: hs.HostileServer, p: str) -> bytes:
    links = [
        _target("loopback_127_0_0_2", srv, p, "page"),
        _target("metadata", srv, p, "latest/meta-data/iam"),
        _target("loopback_v6", srv, p, "page"),
        _target("private_10", srv, p, "admin"),
    ]
    return rss("".join(item(i, link=escape(link)) for i, link in enumerate(links)))


CASES: list[Case] = [
    *(_forbidden_feed(k) for k in FORBIDDEN),
    *(_forbidden_hop(k) for k in REDIRECTED),
    Case(
        "default_policy_refuses_loopback",
        feed_only(hs.reply(rss(item(0)))),
        "forbidden_address",
        time_s=REFUSAL_S,
        settings=DEFAULT_POLICY,
        check=all_of(nothing_connected, never_requested("feed")),
    ),
    Case(
        "default_policy_refuses_decimal_loopback",
        feed_only(hs.reply(rss(item(0)))),
        "forbidden_address",
        time_s=REFUSAL_S,
        url=lambda srv, p: f"http://2130706433:{srv.port}{p}feed",
        settings=DEFAULT_POLICY,
        check=all_of(nothing_connected, never_requested("feed")),
    ),
    Case(
        "feed_at_local_elasticsearch",
        lambda _srv, _p: {},
        "forbidden_address",
        time_s=REFUSAL_S,
        url=lambda _srv, _p: _es_url(),
        settings=DEFAULT_POLICY,
        check=nothing_connected,
    ),
    Case(
        "fulltext_internal_links",
        lambda srv, p: {"feed": hs.reply(_internal_links(srv, p)), "page": hs.reply(b"internal")},
        "ok",
        feed={"full_text": True},
        check=all_of(published(4), fulltext_refused(4), never_requested("page"), refused),
    ),
    # Items.
    Case(
        "non_http_links",
        feed_only(
            hs.reply(
                rss("".join(item(i, link=escape(u)) for i, u in enumerate(NON_HTTP)) + item(5))
            )
        ),
        "ok",
        check=all_of(published(1), skipped(non_http_url=len(NON_HTTP))),
    ),
    Case(
        "shared_bare_guid",
        feed_only(hs.reply(rss(_guid(0, "42") + _guid(1, "42")))),
        "ok",
        check=all_of(published(2), distinct_versions_1),
    ),
    Case(
        "shared_bare_guid_over_two_polls",
        feed_only(hs.sequence(hs.reply(rss(_guid(0, "42"))), hs.reply(rss(_guid(1, "42"))))),
        "ok",
        passes=2,
        check=all_of(published_total(2), distinct_versions_1),
    ),
    Case(
        "same_link_other_content",
        feed_only(hs.reply(rss(item(0) + item(1, link=escape(ff.un_items()[0]["link"]))))),
        "ok",
        check=all_of(published(1), skipped(duplicate_item=1)),
    ),
    Case(
        "escaped_script",
        feed_only(
            hs.reply(
                rss(
                    item(0, title=escape(ff.un_items()[0]["title"]) + " " + SCRIPT)
                    + item(1, description=escape(SCRIPT) + escape(ff.un_items()[1]["summary"]))
                    + item(2, description="&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;x")
                )
            )
        ),
        "ok",
        check=all_of(published(3), no_script),
    ),
    Case(
        "cp1251_declared_utf8",
        feed_only(hs.reply(_cp1251_as_utf8(), content_type="application/rss+xml; charset=utf-8")),
        "ok",
        check=all_of(published(12), cyrillic),
    ),
]
