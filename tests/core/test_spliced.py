"""Kept HTML compressed once (core.spliced): whatever the pieces and the values put in, the gzip answer is one
ordinary gzip member that decodes to exactly the text the plain answer is, and the values are never compressed."""

import gzip
import pickle
import zlib

import pytest
from django.test import RequestFactory
from hypothesis import given, settings
from hypothesis import strategies as st

from core.spliced import Spliced, accepts_gzip, crc32_combine, crc32_shift, response

HOLES = {"csrf": "CSRF-MARK", "next": "NEXT-MARK", "content": "CONTENT-MARK"}


def filled(text: bytes, values: dict) -> bytes:
    """What the document is with its holes filled, by plain replacement (the specification)."""
    for name, marker in HOLES.items():
        if name in values:
            text = text.replace(marker.encode(), values[name])
    return text


def decoded(body: bytes) -> bytes:
    """The body as a browser reads it: zlib's gzip decoder, which checks the CRC-32 and the length."""
    plain = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = plain.decompress(body)
    assert plain.eof and not plain.unused_data, "one complete gzip member, nothing after it"
    return out


# Text that compresses (repeated table rows) with holes anywhere, including at the ends and next to each other.
pieces = st.lists(
    st.one_of(
        st.sampled_from([m.encode() for m in ("CSRF-MARK", "NEXT-MARK")]),
        st.binary(max_size=300),
        st.text(alphabet="<td>满分 12.34</td>", max_size=200).map(str.encode),
    ),
    max_size=12,
)
values = st.binary(max_size=200).filter(lambda v: b"MARK" not in v)


@settings(max_examples=300, deadline=None)
@given(pieces=pieces, csrf=values, next_=values)
def test_gzip_and_plain_are_the_filled_text(pieces, csrf, next_):
    text = b"".join(pieces)
    document = Spliced.of(text, {"csrf": HOLES["csrf"], "next": HOLES["next"]})
    answer = {"csrf": csrf, "next": next_}
    expected = filled(text, answer)
    assert document.plain(answer) == expected
    assert decoded(document.gzip(answer)) == expected
    assert gzip.decompress(document.gzip(answer)) == expected


@settings(max_examples=100, deadline=None)
@given(frame=pieces, content=pieces, csrf=values)
def test_a_document_inside_another_fills_its_own_holes_too(frame, content, csrf):
    frame_text = b"".join(frame) + b"CONTENT-MARK" + b"".join(frame)
    content_text = b"".join(content)
    outer = Spliced.of(frame_text, {"csrf": HOLES["csrf"], "content": HOLES["content"], "next": HOLES["next"]})
    inner = Spliced.of(content_text, {"csrf": HOLES["csrf"]})
    answer = {"csrf": csrf, "next": b"/a?b=1", "content": inner}
    expected = filled(frame_text, {"csrf": csrf, "next": b"/a?b=1"}).replace(
        b"CONTENT-MARK", filled(content_text, {"csrf": csrf})
    )
    assert outer.plain(answer) == expected
    assert decoded(outer.gzip(answer)) == expected


def test_values_longer_than_a_stored_block_and_empty_ones():
    document = Spliced.of(b"<a>CSRF-MARK</a>NEXT-MARK", {"csrf": HOLES["csrf"], "next": HOLES["next"]})
    long = bytes(range(256)) * 700  # 179,200 bytes: three stored blocks
    assert decoded(document.gzip({"csrf": long, "next": b""})) == b"<a>" + long + b"</a>"
    assert decoded(Spliced.of(b"").gzip()) == b""
    assert decoded(Spliced.of(b"CSRF-MARK", {"csrf": "CSRF-MARK"}).gzip({"csrf": b""})) == b""


def test_the_kept_pieces_are_compressed_and_the_values_are_not():
    """The national table's page is ~548 KB of rows that compress ~20×. A request's token goes in as it is, never
    compressed beside text a request chooses (BREACH): it is found verbatim in the answer."""
    rows = b"".join(b'<tr><td>%05d</td><td class="full">12.34</td></tr>' % n for n in range(5000))
    document = Spliced.of(rows + b"CSRF-MARK" + rows, {"csrf": HOLES["csrf"]})
    token = b"k7Q2vTtoken-of-this-request-0123456789"
    body = document.gzip({"csrf": token})
    assert len(body) < len(rows) / 5
    assert token in body
    assert decoded(body) == rows + token + rows


def test_a_kept_document_survives_the_cache():
    document = Spliced.of(b"x CSRF-MARK y", {"csrf": HOLES["csrf"]})
    again = pickle.loads(pickle.dumps(document))
    assert again == document and decoded(again.gzip({"csrf": b"t"})) == b"x t y"


@settings(max_examples=300)
@given(a=st.binary(max_size=2000), b=st.binary(max_size=2000))
def test_crc32_combine_is_zlibs(a, b):
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b), crc32_shift(len(b))) == zlib.crc32(a + b)


@pytest.mark.parametrize(("header", "takes"), [
    ("gzip, deflate, br", True),
    ("GZIP", True),
    ("x-gzip", True),
    ("deflate, gzip;q=0.5", True),
    ("*", True),
    ("", False),
    ("br", False),
    ("identity", False),
    ("gzip;q=0", False),
    ("gzip; q=0.000", False),
    ("gzip;q=abc", False),
    ("*;q=0", False),
    ("*, gzip;q=0", False),
])
def test_accept_encoding_as_rfc_9110_reads_it(header, takes):
    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING=header)
    assert accepts_gzip(request) is takes


def test_the_response_varies_by_accept_encoding():
    document = Spliced.of(b"<p>CSRF-MARK</p>", {"csrf": HOLES["csrf"]})
    browser = response(document, {"csrf": b"t"}, gzipped=True)
    other = response(document, {"csrf": b"t"}, gzipped=False)
    assert browser["Content-Encoding"] == "gzip" and decoded(browser.content) == b"<p>t</p>"
    assert not other.has_header("Content-Encoding") and other.content == b"<p>t</p>"
    assert "Accept-Encoding" in browser["Vary"] and "Accept-Encoding" in other["Vary"]
