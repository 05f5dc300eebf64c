"""The address policy (SSRF guard): what is refused, and that the poller really is refused.

The classification is a pure function, tested with a table. Fetches go to real local servers,
with real name resolution, except where a resolver answer has to be controlled (DNS rebinding):
there ``socket.getaddrinfo`` is replaced in-process, and the test checks which address the
connection went to.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from diplowire.ingest.address import DEFAULT_POLICY, AddressPolicy, Forbidden, classify, policy_for
from diplowire.ingest.feeds import Feed
from diplowire.ingest.fetch import FetchError, FetchKind, ForbiddenAddress, fetch
from diplowire.ingest.poller import poll_once
from diplowire.ingest.state import FileStateStore
from diplowire.wire.article import decode
from diplowire.wire.loop import make_producer
from diplowire.wire.settings import KafkaSettings, PollSettings, SettingsError, load
from tests.ingest import feedfiles as ff
from tests.ingest.feedfiles import poll_settings
from tests.support import read_topic
from tests.support.httpserver import TestServer, redirect, static

CLASSES: list[tuple[str, Forbidden | None]] = [
    ("127.0.0.1", Forbidden.LOOPBACK),
    ("127.255.0.9", Forbidden.LOOPBACK),
    ("::1", Forbidden.LOOPBACK),
    ("::ffff:127.0.0.1", Forbidden.LOOPBACK),  # IPv4-mapped
    ("64:ff9b::7f00:1", Forbidden.LOOPBACK),  # NAT64 of 127.0.0.1
    ("2002:7f00:1::", Forbidden.LOOPBACK),  # 6to4 of 127.0.0.1
    ("10.1.2.3", Forbidden.PRIVATE),
    ("172.16.0.1", Forbidden.PRIVATE),
    ("172.31.255.254", Forbidden.PRIVATE),
    ("192.168.1.1", Forbidden.PRIVATE),
    ("fd12:3456::1", Forbidden.PRIVATE),  # unique local
    ("fec0::1", Forbidden.PRIVATE),  # site-local (deprecated)
    ("::ffff:10.0.0.1", Forbidden.PRIVATE),
    ("64:ff9b:1::a00:1", Forbidden.PRIVATE),  # local-use NAT64
    ("169.254.1.1", Forbidden.LINK_LOCAL),
    ("fe80::1", Forbidden.LINK_LOCAL),
    ("fe80::1%1", Forbidden.LINK_LOCAL),
    ("100.64.0.1", Forbidden.CGNAT),
    ("100.127.255.254", Forbidden.CGNAT),
    ("224.0.0.1", Forbidden.MULTICAST),
    ("239.255.255.250", Forbidden.MULTICAST),
    ("ff02::1", Forbidden.MULTICAST),
    ("0.0.0.0", Forbidden.UNSPECIFIED),
    ("0.1.2.3", Forbidden.UNSPECIFIED),  # 0.0.0.0/8 reaches the local host on Linux
    ("::", Forbidden.UNSPECIFIED),
    ("169.254.169.254", Forbidden.METADATA),
    ("169.254.170.2", Forbidden.METADATA),
    ("100.100.100.200", Forbidden.METADATA),
    ("fd00:ec2::254", Forbidden.METADATA),
    ("::ffff:169.254.169.254", Forbidden.METADATA),
    ("255.255.255.255", Forbidden.RESERVED),
    ("240.0.0.1", Forbidden.RESERVED),
    ("192.0.2.1", Forbidden.RESERVED),  # documentation
    ("198.18.0.1", Forbidden.RESERVED),  # benchmarking
    ("192.0.0.8", Forbidden.RESERVED),  # IETF protocol assignments
    ("2001:db8::1", Forbidden.RESERVED),  # documentation
    ("::127.0.0.1", Forbidden.RESERVED),  # IPv4-compatible (deprecated)
    ("93.184.215.14", None),
    ("8.8.8.8", None),
    ("1.1.1.1", None),
    ("100.128.0.1", None),  # just past CGNAT
    ("172.32.0.1", None),  # just past 172.16/12
    ("2606:4700:4700::1111", None),
    ("::ffff:8.8.8.8", None),  # a mapped public address is public
    ("64:ff9b::808:808", None),  # NAT64 of 8.8.8.8
    ("2002:808:808::1", None),  # 6to4 of 8.8.8.8
]


@pytest.mark.parametrize(("address", "expected"), CLASSES)
def test_every_address_class_is_classified(address: str, expected: Forbidden | None) -> None:
    assert classify(ipaddress.ip_address(address)) == expected
    assert (DEFAULT_POLICY.refusal(ipaddress.ip_address(address)) is None) == (expected is None)


def test_the_allow_list_opens_networks_and_host_names() -> None:
    policy = AddressPolicy.from_allow(["127.0.0.1", "10.0.0.0/8", "Feeds.Intranet.Example."])
    ip = ipaddress.ip_address
    assert policy.refusal(ip("127.0.0.1")) is None
    assert policy.refusal(ip("::ffff:127.0.0.1")) is None  # the same address on the wire
    assert policy.refusal(ip("127.0.0.2")) == Forbidden.LOOPBACK
    assert policy.refusal(ip("::1")) == Forbidden.LOOPBACK
    assert policy.refusal(ip("10.200.0.1")) is None
    assert policy.refusal(ip("192.168.0.1")) == Forbidden.PRIVATE
    assert policy.refusal(ip("169.254.169.254")) == Forbidden.METADATA
    assert policy.host_allowed("feeds.intranet.example")
    assert not policy.host_allowed("other.intranet.example")


def test_allow_addresses_is_read_from_yaml_and_the_environment(tmp_path: Path) -> None:
    cfg = tmp_path / "poll.yaml"
    cfg.write_text("allow_addresses: [127.0.0.1, '10.0.0.0/8', feeds.example]\n")
    assert load(PollSettings, file=cfg, env={}).allow_addresses == (
        "127.0.0.1",
        "10.0.0.0/8",
        "feeds.example",
    )
    env = {"DIPLOWIRE_ALLOW_ADDRESSES": " 127.0.0.1 , ::1,"}
    assert load(PollSettings, env=env).allow_addresses == ("127.0.0.1", "::1")
    assert load(PollSettings, env={}).allow_addresses == ()
    for bad in ("10.0.0.0/33", "http://127.0.0.1/", "bad host", "1.2.3.4/8/2"):
        with pytest.raises(SettingsError, match="allow_addresses"):
            load(PollSettings, env={"DIPLOWIRE_ALLOW_ADDRESSES": bad})


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "2130706433",  # decimal
        "0x7f.1",  # hexadecimal, short form
        "0x7f000001",
        "0177.0.0.1",  # octal
        "127.1",
        "localhost",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "0.0.0.0",
        "169.254.169.254",
        "10.0.0.1",
    ],
)
def test_internal_addresses_are_refused_however_spelt(host: str) -> None:
    # Refused on the resolved address, before any connection: no server is needed (or reached).
    with pytest.raises(ForbiddenAddress) as info:
        fetch(f"http://{host}:9/feed.xml", timeout_s=3)
    assert info.value.kind is FetchKind.FORBIDDEN_ADDRESS and info.value.kind == "forbidden_address"
    assert info.value.reason in set(Forbidden)


def test_environment_proxies_are_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    # Through a proxy, the connection checked would be the proxy's: the proxy is ignored and the
    # forbidden target is refused as if no proxy were set.
    with TestServer() as proxy:
        for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
            monkeypatch.setenv(var, proxy.url(""))
        monkeypatch.delenv("no_proxy", raising=False)
        monkeypatch.delenv("NO_PROXY", raising=False)
        # The proxy's address is allowed: through it, the metadata service would be reached.
        policy = policy_for(("127.0.0.1",))
        with pytest.raises(ForbiddenAddress):
            fetch("http://169.254.169.254/latest/meta-data/", timeout_s=3, policy=policy)
        # An allowed feed is fetched directly, not through the proxy either.
        with TestServer() as srv:
            srv.routes["/f.xml"] = static(b"<rss/>")
            resp = fetch(srv.url("/f.xml"), timeout_s=3, policy=policy)
            assert resp.status == 200 and srv.hits == ["/f.xml"]
        assert proxy.hits == []


def test_fetch_errors_keep_their_kind_through_pickling() -> None:
    import pickle

    err = pickle.loads(pickle.dumps(ForbiddenAddress("h", "127.0.0.1", Forbidden.LOOPBACK)))
    assert isinstance(err, FetchError) and err.kind is FetchKind.FORBIDDEN_ADDRESS
    with pytest.raises(ValueError):
        FetchError("no_such_kind", "a typo in a kind is a bug, caught where it is made")


Resolver = Callable[..., list[tuple[Any, ...]]]


def _rebinding(answers: list[str], calls: list[str]) -> Resolver:
    """A resolver for ``rebind.test`` answering ``answers`` in turn (the last one thereafter)."""
    real = socket.getaddrinfo

    def fake(host: str, port: Any, *args: Any, **kw: Any) -> list[tuple[Any, ...]]:
        if host != "rebind.test":
            return real(host, port, *args, **kw)
        address = answers[min(len(calls), len(answers) - 1)]
        calls.append(address)
        return real(address, port, *args, **kw)

    return fake


def test_the_connection_goes_to_the_address_that_was_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A rebinding DNS answers an allowed address first, the metadata address on every later
    # lookup: there is no later lookup, the socket connects to what was checked.
    calls: list[str] = []
    monkeypatch.setattr(socket, "getaddrinfo", _rebinding(["127.0.0.1", "169.254.169.254"], calls))
    policy = policy_for(("127.0.0.1",))
    with TestServer() as srv:
        srv.routes["/f.xml"] = static(b"<rss/>")
        port = srv.httpd.server_address[1]
        resp = fetch(f"http://rebind.test:{port}/f.xml", timeout_s=3, policy=policy)
        # Same again, with the forbidden answer first: refused, nothing reaches the server.
        calls.clear()
        monkeypatch.setattr(socket, "getaddrinfo", _rebinding(["169.254.169.254"], calls))
        with pytest.raises(ForbiddenAddress) as info:
            fetch(f"http://rebind.test:{port}/f.xml", timeout_s=3, policy=policy)
    assert resp.status == 200 and resp.body == b"<rss/>"
    assert srv.hits == ["/f.xml"]
    assert srv.request_headers["/f.xml"][0]["Host"] == f"rebind.test:{port}"
    assert calls == ["169.254.169.254"]
    assert info.value.reason is Forbidden.METADATA and info.value.address == "169.254.169.254"


def test_one_forbidden_answer_among_several_refuses_the_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = socket.getaddrinfo

    def fake(host: str, port: Any, *args: Any, **kw: Any) -> list[tuple[Any, ...]]:
        if host != "mixed.test":
            return real(host, port, *args, **kw)
        return real("127.0.0.1", port, *args, **kw) + real("10.0.0.1", port, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with TestServer() as srv:
        srv.routes["/f.xml"] = static(b"<rss/>")
        port = srv.httpd.server_address[1]
        with pytest.raises(ForbiddenAddress) as info:
            fetch(f"http://mixed.test:{port}/f.xml", timeout_s=3, policy=policy_for(("127.0.0.1",)))
    assert info.value.reason is Forbidden.PRIVATE and srv.hits == []


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path, list[str | None]]]:
    """HTTPS on 127.0.0.1 with a self-signed certificate for ``rebind.test``; records SNI."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=rebind.test"),
            *("-addext", "subjectAltName=DNS:rebind.test"),
        ],
        check=True,
        capture_output=True,
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    names: list[str | None] = []
    ctx.sni_callback = lambda _sock, name, _ctx: names.append(name)  # type: ignore[assignment,func-returns-value]
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                raw, _ = listener.accept()
            except TimeoutError:
                continue
            try:
                with ctx.wrap_socket(raw, server_side=True) as conn:
                    conn.settimeout(3)
                    conn.recv(65536)
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n<rss/>")
            except (OSError, ssl.SSLError):
                continue  # the client refused our certificate

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], cert, names
    stop.set()
    thread.join(timeout=5)
    listener.close()


def test_tls_is_verified_on_the_host_name_not_the_connected_address(
    monkeypatch: pytest.MonkeyPatch, tls_server: tuple[int, Path, list[str | None]]
) -> None:
    port, cert, names = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # our self-signed certificate is the CA
    monkeypatch.setattr(socket, "getaddrinfo", _rebinding(["127.0.0.1"], []))
    policy = policy_for(("127.0.0.1",))
    resp = fetch(f"https://rebind.test:{port}/f.xml", timeout_s=5, policy=policy)
    assert resp.body == b"<rss/>" and names == ["rebind.test"]
    # The same server by address: the certificate (for rebind.test) does not match, refused.
    with pytest.raises(FetchError) as info:
        fetch(f"https://127.0.0.1:{port}/f.xml", timeout_s=5, policy=policy)
    assert info.value.kind == "unreachable" and "certificate" in str(info.value).lower()


# The poller on the real stack.


def test_by_default_a_local_feed_is_refused_and_nothing_published(
    kafka: KafkaSettings, tmp_path: Path
) -> None:
    with TestServer() as srv:
        srv.routes["/un.xml"] = static(ff.real("un-news-europe.xml"))
        feeds = [Feed(url=srv.url("/un.xml"), name="UN")]
        producer = make_producer(kafka)
        default = poll_settings(kafka, tmp_path, allow_addresses=())
        refused = poll_once(feeds, default, producer, store := FileStateStore(tmp_path))
        hits_refused = list(srv.hits)
        failed = store.load().feeds[feeds[0].url]
        published = read_topic(kafka, kafka.topics.raw, timeout_s=3)
        allowed = poll_once(feeds, poll_settings(kafka, tmp_path), producer, store)
        producer.close()
    assert refused.feeds_failed == 1 and refused.published == 0 and published == []
    assert refused.failures == {"forbidden_address": 1}
    assert hits_refused == []  # refused before connecting
    assert failed.failures == 1 and failed.last_error.startswith("forbidden_address: ")
    assert "loopback" in failed.last_error
    assert allowed.published == len(read_topic(kafka, kafka.topics.raw)) > 0
    assert store.load().feeds[feeds[0].url].health == "ok"


def test_a_redirect_to_a_forbidden_address_is_refused_at_that_hop(
    kafka: KafkaSettings, tmp_path: Path
) -> None:
    # The redirect target really serves a feed (on 127.0.0.2): only the policy keeps it out.
    with TestServer() as srv, TestServer("127.0.0.2") as inner:
        inner.routes["/internal.xml"] = static(ff.real("un-news-europe.xml"))
        srv.routes["/hop"] = redirect(302, inner.url("/internal.xml"))
        hex_host = inner.url("/internal.xml").replace("127.0.0.2", "0x7f000002")
        srv.routes["/hop-hex"] = redirect(301, hex_host)
        feeds = [Feed(url=srv.url("/hop"), name="hop"), Feed(url=srv.url("/hop-hex"), name="hex")]
        producer = make_producer(kafka)
        store = FileStateStore(tmp_path / "a")
        refused = poll_once(feeds, poll_settings(kafka, tmp_path / "a"), producer, store)
        inner_hits = list(inner.hits)
        # Control: with 127.0.0.2 allowed too, the same redirects are followed.
        wider = poll_settings(kafka, tmp_path / "b", allow_addresses=("127.0.0.0/8",))
        followed = poll_once(feeds, wider, producer, FileStateStore(tmp_path / "b"))
        producer.close()
    assert srv.hits.count("/hop") == 2 and srv.hits.count("/hop-hex") == 2
    assert inner_hits == []
    assert refused.failures == {"forbidden_address": 2} and refused.published == 0
    errors = [store.load().feeds[f.url].last_error for f in feeds]
    assert all(e.startswith("forbidden_address: ") and "127.0.0.2" in e for e in errors)
    assert followed.feeds_ok == 2 and followed.published > 0
    assert inner.hits == ["/internal.xml", "/internal.xml"]


def test_a_full_text_link_to_a_forbidden_address_keeps_the_summary(
    kafka: KafkaSettings, tmp_path: Path
) -> None:
    secret = "SECRET-INTRANET-TEXT " * 40
    items = ff.un_items()[:2]
    with TestServer() as srv, TestServer("127.0.0.2") as intranet:
        page = f"<html><body><article><p>{secret}</p></article></body></html>".encode()
        for n in range(len(items)):
            intranet.routes[f"/page{n}"] = static(page, **{"Content-Type": "text/html"})
        link = intranet.url("/page")
        feed = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>U</title>'
            + "".join(
                f"<item><title>{escape(i['title'])}</title><link>{link}{n}</link>"
                f"<guid>{escape(i['guid'])}</guid>"
                f"<description>{escape(i['summary'])}</description></item>"
                for n, i in enumerate(items)
            )
            + "</channel></rss>"
        )
        srv.routes["/ft.xml"] = static(feed.encode())
        feeds = [Feed(url=srv.url("/ft.xml"), name="FT", full_text=True)]
        producer = make_producer(kafka)
        refused = poll_once(
            feeds, poll_settings(kafka, tmp_path / "a"), producer, FileStateStore(tmp_path / "a")
        )
        intranet_hits = list(intranet.hits)
        arts = [decode(r.value) for r in read_topic(kafka, kafka.topics.raw)]
        # Control: with the intranet allowed, its text would have been published.
        allowed = poll_settings(kafka, tmp_path / "b", allow_addresses=("127.0.0.0/8",))
        fetched = poll_once(feeds, allowed, producer, FileStateStore(tmp_path / "b"))
        producer.close()
    # The articles are published with the feed's summary; the refused pages are counted.
    assert refused.published == 2 and refused.feeds_ok == 1
    assert refused.fulltext_failed == 2 and refused.fulltext_ok == 0
    assert refused.failures == {"fulltext_page_forbidden_address": 2}
    assert intranet_hits == []
    assert all("SECRET" not in a.text and a.text for a in arts)
    assert fetched.fulltext_ok == 2 and len(intranet.hits) == 2, fetched.failures
