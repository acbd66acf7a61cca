"""Kept HTML compressed once and served gzipped, with each request's own pieces put in without compressing again.

A page kept in the cache has holes that every request fills differently: the viewer's CSRF token, the address the
language switch returns to, the content inside the frame. Compressing the whole answer per request would cost ~10 ms
for the national table's 548 KB; here the text between the holes is compressed once, when the page is kept, as deflate
blocks ending on a byte boundary (Z_SYNC_FLUSH, no final block), and a request's values go between them as stored
(uncompressed) blocks. The result is one ordinary gzip member (RFC 1951/1952) that any browser reads; its CRC-32 is
combined from the pieces' own (zlib's crc32_combine, which Python's zlib does not expose, ported below).

No secret is compressed together with text a request chooses (BREACH): the token and the address are never
compressed at all, and each kept piece is compressed on its own.

Only the compressed pieces are kept (the national page's 548 KB is ~27 KB in the cache, and so from Redis): a
client that does not take gzip (curl without --compressed, a script) gets them inflated, ~1 ms for that page.
"""

import re
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

from django.http import HttpResponse
from django.utils.cache import patch_vary_headers

LEVEL = 6
_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # gzip, deflate, no name, no mtime, unknown OS
_FINAL = b"\x03\x00"  # an empty final block (fixed Huffman codes): what zlib ends an empty stream with
_STORED_MAX = 0xFFFF

# CRC-32 as zlib computes it (reflected polynomial), and x^(2^k) mod it: what crc32_combine multiplies by.
_POLY = 0xEDB88320


def _multmodp(a: int, b: int) -> int:
    """a × b modulo the CRC-32 polynomial (zlib's multmodp, reflected bit order)."""
    m, p = 1 << 31, 0
    while True:
        if a & m:
            p ^= b
            if not a & (m - 1):
                return p
        m >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1


def _x2n_table() -> tuple[int, ...]:
    table, p = [1 << 30], 1 << 30  # x^1
    for _ in range(31):
        p = _multmodp(p, p)
        table.append(p)
    return tuple(table)


_X2N = _x2n_table()


def crc32_shift(length: int) -> int:
    """x^(8·length) modulo the polynomial: what a CRC is multiplied by when `length` bytes follow its text."""
    p, k = 1 << 31, 3  # x^0; one byte is 2^3 bits
    while length:
        if length & 1:
            p = _multmodp(_X2N[k & 31], p)
        length >>= 1
        k += 1
    return p


def crc32_combine(crc1: int, crc2: int, shift2: int) -> int:
    """The CRC-32 of A + B from A's, B's and `crc32_shift(len(B))`."""
    return _multmodp(shift2, crc1) ^ crc2


@dataclass(frozen=True, slots=True)
class _Piece:
    """Text between two holes: its deflate blocks (ending on a byte boundary), CRC-32, length and CRC shift."""

    deflated: bytes
    crc: int
    size: int
    shift: int

    @classmethod
    def of(cls, text: bytes) -> "_Piece":
        compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
        deflated = compressor.compress(text) + compressor.flush(zlib.Z_SYNC_FLUSH)
        return cls(deflated, zlib.crc32(text), len(text), crc32_shift(len(text)))

    def plain(self) -> bytes:
        return zlib.decompressobj(-zlib.MAX_WBITS).decompress(self.deflated)


def _stored(value: bytes) -> list[bytes]:
    """`value` as stored deflate blocks (not final), each at most 65,535 bytes."""
    blocks = []
    for start in range(0, len(value), _STORED_MAX):
        chunk = value[start:start + _STORED_MAX]
        blocks += (b"\x00" + struct.pack("<HH", len(chunk), len(chunk) ^ 0xFFFF), chunk)
    return blocks


@dataclass(frozen=True, slots=True)
class Spliced:
    """A text with named holes, its pieces compressed once: `gzip(values)` and `plain(values)` fill the holes with
    bytes or with another Spliced (a frame around its content). It pickles, so the cache keeps it as it is."""

    parts: tuple[_Piece | str, ...]

    @classmethod
    def of(cls, text: bytes, holes: Mapping[str, str] | None = None) -> "Spliced":
        """`text` split at every occurrence of the holes' markers (name → marker text, e.g. a `cache.placeholder`)."""
        holes = holes or {}
        names = {marker.encode(): name for name, marker in holes.items()}
        parts: list[_Piece | str] = []
        start = 0
        if names:
            for match in re.finditer(b"|".join(map(re.escape, names)), text):
                if match.start() > start:
                    parts.append(_Piece.of(text[start:match.start()]))
                parts.append(names[match.group()])
                start = match.end()
        if start < len(text) or not parts:
            parts.append(_Piece.of(text[start:]))
        return cls(tuple(parts))

    def plain(self, values: Mapping[str, "bytes | Spliced"] | None = None) -> bytes:
        out: list[bytes] = []
        self._plain(values or {}, out)
        return b"".join(out)

    def gzip(self, values: Mapping[str, "bytes | Spliced"] | None = None) -> bytes:
        """One gzip member: the kept pieces' blocks as they are, the values as stored blocks, a final empty block."""
        out = [_HEADER]
        crc, size = self._deflate(values or {}, out, 0, 0)
        out += (_FINAL, struct.pack("<II", crc, size & 0xFFFFFFFF))
        return b"".join(out)

    def _plain(self, values, out: list[bytes]) -> None:
        for part in self.parts:
            if isinstance(part, _Piece):
                out.append(part.plain())
            elif isinstance(value := values[part], Spliced):
                value._plain(values, out)
            else:
                out.append(value)

    def _deflate(self, values, out: list[bytes], crc: int, size: int) -> tuple[int, int]:
        for part in self.parts:
            if isinstance(part, _Piece):
                out.append(part.deflated)
                crc, size = crc32_combine(crc, part.crc, part.shift), size + part.size
            elif isinstance(value := values[part], Spliced):
                crc, size = value._deflate(values, out, crc, size)
            else:
                out += _stored(value)
                crc, size = zlib.crc32(value, crc), size + len(value)
        return crc, size


def accepts_gzip(request) -> bool:
    """Whether the request's Accept-Encoding takes gzip (by name or `*`, and not with q=0)."""
    accepted = {}
    for item in request.headers.get("Accept-Encoding", "").lower().split(","):
        coding, _, params = item.partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        accepted[coding.strip()] = q
    q = accepted.get("gzip", accepted.get("x-gzip", accepted.get("*", 0.0)))
    return q > 0


def response(document: Spliced, values: Mapping[str, "bytes | Spliced"] | None = None, *, gzipped: bool,
             **kwargs) -> HttpResponse:
    """`document` with its holes filled: gzipped for a client that takes gzip (`accepts_gzip`: every browser does),
    plain otherwise."""
    if gzipped:
        answer = HttpResponse(document.gzip(values), **kwargs)
        answer["Content-Encoding"] = "gzip"
    else:
        answer = HttpResponse(document.plain(values), **kwargs)
    patch_vary_headers(answer, ("Accept-Encoding",))
    return answer
