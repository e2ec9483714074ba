"""archiver.exports.surt gives the keys pywb indexes with: every expected key comes from the real
``surt`` library (0.3.1, in the pywb virtualenv), computed in one subprocess for all URLs below."""

from __future__ import annotations

import json
import random
import subprocess
from collections.abc import Callable

import pytest
from pywb_support import CORPUS, ensure_pywb_venv, pywb_bin

from archiver.exports.surt import surt
from archiver.exports.warc import ascii_uri

pytestmark = [pytest.mark.pywb]

# Run in the pywb virtualenv: per URL, surt.surt's key (or the exception's name) and what pywb's
# own canonicalize() makes of it, which should be the same thing.
LIBRARY_SCRIPT = r"""
import importlib.metadata, json, socket, sys
import surt

# The library asks the system resolver about hosts that look numeric but are no IPv4 address
# (1.2.3.256). No test may reach the network: such a name is answered "not found" here, which is
# what a resolver says of it; a real address is still read by the C library, without a lookup.
_lookup = socket.gethostbyname_ex
def _numeric_only(host):
    try:
        socket.inet_aton(host.decode("ascii") if isinstance(host, bytes) else host)
    except (OSError, UnicodeDecodeError):
        raise socket.gaierror(socket.EAI_NONAME, "not looked up in tests") from None
    return _lookup(host)
socket.gethostbyname_ex = _numeric_only
from pywb.utils.canonicalize import canonicalize

def run(fn, url):
    try:
        return {"key": fn(url)}
    except Exception as exc:
        return {"error": type(exc).__name__}

urls = json.load(sys.stdin)
json.dump({
    "version": importlib.metadata.version("surt"),
    "surt": [run(surt.surt, u) for u in urls],
    "pywb": [run(canonicalize, u) for u in urls],
}, sys.stdout)
"""

TRICKY = [
    # case, www prefixes, ports
    "http://www.Example.com/Path?b=2&a=1",
    "https://www2.example.com:443/a/../Privacy/?SID=0123456789abcdef0123456789abcdef#top",
    "HTTP://WWW.EXAMPLE.COM/INDEX.HTML",
    "https://Example.COM/Privacy/Policy.PDF",
    "https://www2.example.com/privacy",
    "http://www10.example.com/",
    "http://www.www.example.com/",
    "http://wwwx.example.com/",
    "http://example.com:80/a",
    "https://example.com:443/a",
    "https://example.com:80/a",
    "http://example.com:443/a",
    "http://example.com:8080/a",
    "http://example.com:0080/a",
    "http://example.com:0/a",
    "http://example.com:/a",
    "https://example.com",
    "https://example.com/",
    "http://user:pass@example.com/a",
    # queries
    "https://example.com/p?z=1&a=2&m=3",
    "https://example.com/p?a=2&a=1&a=1",
    "https://example.com/p?B=1&a=2",
    "https://example.com/p?a&a=&b",
    "https://example.com/p?",
    "https://example.com/?",
    "https://example.com?",
    "https://example.com/p?=",
    "https://example.com/p?&&",
    "https://example.com/p?a=1&&b=2",
    "https://example.com/p?a=%26&b=%3D",
    "https://example.com/p?q=a+b%20c",
    "https://example.com/p?utm_source=x&utm_medium=y&id=5",
    # fragments
    "https://example.com/p#section-2",
    "https://example.com/p?b=1&a=2#top",
    "https://example.com/p#",
    "https://example.com/p#a?b",
    "https://example.com#top",
    # session ids
    "http://example.com/p?jsessionid=0123456789abcdef0123456789ABCDEF",
    "http://example.com/p?a=1&JSESSIONID=0123456789abcdef0123456789ABCDEF&b=2",
    "http://example.com/p?x=1&PHPSESSID=0123456789abcdef0123456789abcdef",
    "http://example.com/p?sid=0123456789abcdef0123456789abcdef&lang=en",
    "http://example.com/p?sid=tooshort&lang=en",
    "http://example.com/p?ASPSESSIONIDabcdefgh=abcdefghijklmnopqrstuvwx&q=1",
    "http://example.com/p?cfid=123&cftoken=456&z=3",
    "http://example.com/p;jsessionid=0123456789abcdef0123456789ABCDEF?x=1",
    "http://example.com/app/(S(abcdefghijklmnopqrstuvwx))/Privacy.aspx?x=1",
    "http://example.com/app/(abcdefghijklmnopqrstuvwx)/privacy.ASPX",
    # escapes
    "https://example.com/%7Euser/privacy",
    "https://example.com/a%2Fb/c",
    "https://example.com/%2541",
    "https://example.com/%%41",
    "https://example.com/%25",
    "https://example.com/100%",
    "https://example.com/%zz",
    "https://example.com/%e9t%C3%A9",
    "https://example.com/privacy%20policy",
    "https://example.com/a%00b",
    "https://example.com/a%0Ab",
    "https://example.com/a%23b",
    "https://example.com/a%3Fb=1",
    "https://example.com/~a/!$&'()*+,;=:@",
    "https://example.com/a\\b",
    "https://example.com/p?x=%E9",
    # dots and slashes in paths
    "https://example.com/a/./b/../c",
    "https://example.com/../a",
    "https://example.com/a/b/..",
    "https://example.com/a/b/../",
    "https://example.com/%2E%2E/a",
    "https://example.com//a//b//",
    "https://example.com/a/",
    "https://example.com/.",
    # hosts
    "https://example.com./privacy",
    "https://.example.com/",
    "https://a..b.example.com/",
    "https://a...b.example.com/",
    "https://ex%41mple.com/",
    "https://%zz.com/",
    "https://xn--bcher-kva.example/datenschutz",
    "https://XN--BCHER-KVA.example/",
    "https://b%C3%BCcher.example/",
    "https://%E2%82%AC.com/",
    "http://192.168.0.1/privacy",
    "http://192.168.000.001/",
    "http://3232235777/",
    "http://0/",
    "http://4294967296/",
    "http://0300.0250.0.1/",
    "http://0xC0.0xA8.0.1/",
    "http://0xC0A80001/",
    "http://1.2.3/",
    "http://1.2/",
    "http://010.1.1.1/",
    "http://1.010.1.1/",
    "http://0.8.1.1/",
    "http://[::1]:8080/a",
    "http://[FE80::1%25eth0]/",
    # not numeric addresses: the library asks the resolver (not in tests, see LIBRARY_SCRIPT)
    "http://1.2.3.256/",
    "http://1.08.1.1/",
    # semicolon parameters
    "https://example.com/privacy;lang=fr",
    "https://example.com/a;b=1;c=2?x=1",
    # scheme oddities
    "http://https://example.com/a",
    "http://http://example.com/a",
    "http:////www.example.com/a",
    "http:/example.com/a",
    "  https://example.com/a  ",
    "https://exa\tmple.com/a\n",
]

# Unicode URLs, keyed in their ASCII form as the WARC export writes them.
UNICODE = [
    "https://bücher.example/straße?q=é",
    "https://例え.jp/プライバシー",
    "https://example.com/politique de confidentialité",
    "https://example.com/a b?c d=é#frag ment",
]

# Odd input the library answers (empty, no scheme, other schemes, ``filedesc``).
ODD = [
    "",
    "-",
    "example.com",
    "example.com/Privacy",
    "localhost:8080/x",
    "//example.com/x",
    "filedesc://archive.warc.gz",
    "filedesc",
    "urn:uuid:6F9619FF-8B86-D011-B42D-00C04FC964FF",
    "urn:pageinfo:https://example.com/",
    "URN:X",
    "urn:a/",
    "mailto:Privacy@Example.com",
    "dns:www.example.com",
    "dns://www.example.com/",
    "ftp://www.example.com:21/a",
    "data:text/plain,Hello",
    "javascript:void(0)",
    "http://",
    "http:",
    "http:///",
    "http://:80/",
    "http://?q=1",
    "http://#f",
    "https://./a/../b",
    "?",
    "#",
    "%",
    "é",
    "http://" + "a" * 70 + "é.com/",
    "http://1.2.3." + "9" * 300 + "/",
]

# What the library refuses (it raises), and the key we return instead.
REFUSED = {
    " ": "-",
    "\t\n": "-",
    "http://example.com:abc/": "com,example:abc)/",
    "http://example.com:99999/": "com,example:99999)/",
    "http://example.com:-1/": "com,example:-1)/",
    "http://example.com:" + "0" * 5000 + "80/": "com,example)/",
    "http://" + "9" * 5000 + "/": "255,255,255,255)/",
    "http://\udc80.com/": "com,%ed%b2%80)/",
}

GENERATED_PARTS = (
    ["http://", "https://", "HTTP://", "", "http:///", "https://http://", "ftp://", "urn:", "//"],
    ["", "", "", "user@", "u:p@"],
    [
        "example.com",
        "WWW.Example.COM",
        "www2.example.com",
        "www.",
        "ex%41mple.com",
        "example.com.",
        "a..b.com",
        "192.168.0.1",
        "3232235777",
        "0300.0250.0.1",
        "0xC0.0xA8.0.1",
        "1.2.3",
        "[::1]",
        "xn--bcher-kva.example",
        "b%C3%BCcher.example",
        "%zz.com",
        "",
    ],
    ["", "", "", ":80", ":443", ":8080", ":0", ":00080", ":"],
    [
        "",
        "/",
        "/A/B/",
        "/a/./b/../c",
        "/../a",
        "//a//b//",
        "/%7Euser",
        "/a%2Fb",
        "/%2541",
        "/%",
        "/a%20b",
        "/%C3%A9t%C3%A9",
        "/p;jsessionid=ABC",
        "/x/(S(abcdefghijklmnopqrstuvwx))/Page.aspx",
        "/%2E%2E/x",
    ],
    [
        "",
        "?",
        "?b=2&a=1",
        "?a=1&a=0&A=2",
        "?a&a=&b",
        "?jsessionid=0123456789abcdef0123456789abcdef",
        "?x=1&PHPSESSID=0123456789ABCDEF0123456789ABCDEF&y=2",
        "?sid=0123456789abcdef0123456789abcdef",
        "?cfid=1&cftoken=2&z=3",
        "?a=%26&b=%3D",
        "?&&",
        "?x=%E9",
    ],
    ["", "", "#top", "#", "#a?b"],
)


def generated_urls(count: int = 3000, seed: int = 20240601) -> list[str]:
    """Deterministic combinations of the parts above: interactions the lists alone would miss."""
    rnd = random.Random(seed)
    return ["".join(rnd.choice(options) for options in GENERATED_PARTS) for _ in range(count)]


def corpus_urls() -> list[str]:
    entries = json.loads((CORPUS / "index.json").read_text())
    return sorted({ascii_uri(e["url"]) for e in entries})


def all_urls() -> list[str]:
    unicode = [ascii_uri(u) for u in UNICODE]
    return list(dict.fromkeys([*corpus_urls(), *TRICKY, *unicode, *ODD, *REFUSED, *generated_urls()]))


@pytest.fixture(scope="module")
def library() -> Callable[[str], dict[str, str]]:
    """The real library's answer for any URL of ``all_urls()``: ``{"key": ...}`` or ``{"error": ...}``."""
    ensure_pywb_venv()
    urls = all_urls()
    done = subprocess.run(
        [str(pywb_bin("python")), "-c", LIBRARY_SCRIPT],
        input=json.dumps(urls),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    answer = json.loads(done.stdout)
    assert answer["version"] == "0.3.1", "surt was ported from 0.3.1: re-check the port"
    by_url = dict(zip(urls, answer["surt"], strict=True))
    # pywb indexes with surt.surt itself (urn: strings aside, which surt also keeps)
    for url, ours, pywb in zip(urls, answer["surt"], answer["pywb"], strict=True):
        if "key" in ours:
            assert pywb == ours, url
    return by_url.__getitem__


def test_corpus_urls_match_the_library(library: Callable[[str], dict[str, str]]) -> None:
    urls = corpus_urls()
    assert urls
    for url in urls:
        assert {"key": surt(url)} == library(url), url


@pytest.mark.parametrize("url", TRICKY)
def test_tricky_urls_match_the_library(url: str, library: Callable[[str], dict[str, str]]) -> None:
    assert {"key": surt(url)} == library(url)


@pytest.mark.parametrize("url", UNICODE)
def test_unicode_urls_in_ascii_form_match_the_library(
    url: str, library: Callable[[str], dict[str, str]]
) -> None:
    ascii_form = ascii_uri(url)
    assert ascii_form.isascii()
    assert {"key": surt(ascii_form)} == library(ascii_form)


@pytest.mark.parametrize("url", ODD)
def test_odd_input_matches_the_library(url: str, library: Callable[[str], dict[str, str]]) -> None:
    assert {"key": surt(url)} == library(url)


def test_generated_urls_match_the_library(library: Callable[[str], dict[str, str]]) -> None:
    urls = generated_urls()
    wrong = [(url, library(url), surt(url)) for url in urls]
    wrong = [w for w in wrong if w[1] != {"key": w[2]}]
    assert not wrong, f"{len(wrong)} of {len(urls)} differ, e.g. {wrong[:5]}"


@pytest.mark.parametrize("url", list(REFUSED))
def test_the_library_refuses_what_we_key_anyway(url: str, library: Callable[[str], dict[str, str]]) -> None:
    """If a new surt release starts answering these, our fallback keys should follow it."""
    assert "error" in library(url)


def test_readable_spot_checks(library: Callable[[str], dict[str, str]]) -> None:
    url = "http://www.Example.com/Path?b=2&a=1"
    assert surt(url) == "com,example)/path?a=1&b=2" == library(url)["key"]
    url = "https://www2.example.com:443/a/../Privacy/?SID=0123456789abcdef0123456789abcdef#top"
    assert surt(url) == "com,example)/privacy" == library(url)["key"]
    assert surt("http://3232235777/") == "1,1,168,192)/" == library("http://3232235777/")["key"]


def test_odd_input_never_raises() -> None:
    """No pywb needed: whatever the string, a key comes back (ASCII, except filedesc passthrough)."""
    for url in [*ODD, *REFUSED, *TRICKY]:
        key = surt(url)
        assert isinstance(key, str) and key, url
        assert key.isascii() or url.startswith("filedesc"), url
    for url, key in REFUSED.items():
        assert surt(url) == key
    assert surt("") == "-"
    assert surt("filedesc://x.warc.gz") == "filedesc://x.warc.gz"
    assert surt("urn:uuid:ABC") == "urn:uuid:abc"
    assert surt("example.com/Privacy") == "com,example)/privacy"
