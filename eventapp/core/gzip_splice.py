"""A page compressed once with gzip, into which a short text (its forms' CSRF token) is put per request, at every
place it goes, without compressing the page again.

The fixed parts between the places are compressed each on their own as raw deflate (RFC 1951), each ending on a
byte boundary with no reference to what came before (``Z_FULL_FLUSH``; the last part ends the stream). The text
put in between is a *stored* block: one header byte, its length and the text as it is. Deflate blocks simply
follow one another, so the parts and texts joined make one valid stream, as parallel compressors (pigz) make
theirs.

The gzip trailer needs the CRC-32 of the whole page. CRC-32 is affine over GF(2) in its starting value and its
data, so for texts of one length the page's CRC is a fixed value XOR a linear map of the text's own CRC: the
value and the map's 32 columns are worked out once, with the parts (33 passes of zlib's CRC over the page), and a
request costs the CRC of its text and at most 32 XORs, however many places the text goes.
"""
import struct
import zlib
from dataclasses import dataclass

_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # deflate, no name, no time, best compression, unknown OS
_LEVEL = 9
_MAX_TEXT = 0xFFFF  # a stored block holds 65,535 bytes at most


@dataclass(frozen=True)
class SplicedPage:
    """A page's fixed parts, compressed, with the same text to be put between each two of them."""
    parts: tuple[bytes, ...]  # raw deflate, the last one final
    size: int  # bytes of the parts, uncompressed
    text_length: int  # the length of text the CRC below is worked out for
    crc_base: int  # the page's CRC-32 with a text of that length whose own CRC-32 is 0
    crc_columns: tuple[int, ...]  # how each bit of the text's CRC-32 changes the page's

    @classmethod
    def compress(cls, pieces: list[bytes], text_length: int) -> "SplicedPage":
        if text_length > _MAX_TEXT:
            raise ValueError(f"a text put in a page has at most {_MAX_TEXT} bytes")
        parts = []
        for number, piece in enumerate(pieces):
            compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
            last = number == len(pieces) - 1
            parts.append(compressor.compress(piece) + compressor.flush(zlib.Z_FINISH if last else zlib.Z_FULL_FLUSH))
        zeros = bytes(text_length)
        zeros_crc = zlib.crc32(zeros)

        def page_crc(text_crc: int) -> int:
            """The page's CRC with a text of ``text_length`` bytes whose own CRC-32 is ``text_crc``: for any data d
            and start c, crc32(d, c) = crc32(zeros, c) ^ crc32(zeros) ^ crc32(d)."""
            crc = zlib.crc32(pieces[0])
            for piece in pieces[1:]:
                crc = zlib.crc32(piece, zlib.crc32(zeros, crc) ^ zeros_crc ^ text_crc)
            return crc

        base = page_crc(0)
        columns = tuple(page_crc(1 << bit) ^ base for bit in range(32)) if len(pieces) > 1 else ()
        return cls(tuple(parts), sum(map(len, pieces)), text_length, base, columns)

    @property
    def places(self) -> int:
        return len(self.parts) - 1

    def gzip(self, text: bytes) -> bytes:
        """The page with ``text`` at each of its places, as one gzip member."""
        if self.places and len(text) > _MAX_TEXT:
            raise ValueError(f"a text put in a page has at most {_MAX_TEXT} bytes")
        if not self.places:
            crc = self.crc_base
        elif len(text) == self.text_length:
            crc = _linear(self.crc_columns, zlib.crc32(text)) ^ self.crc_base
        else:  # a text of another length than the one worked out (never, for one kind of token): a pass over the page
            crc = zlib.crc32(self.plain(text))
        block = b"\x00" + struct.pack("<HH", len(text), len(text) ^ 0xFFFF) + text
        body = [_GZIP_HEADER, self.parts[0]]
        for part in self.parts[1:]:
            body += [block, part]
        body.append(struct.pack("<II", crc, (self.size + self.places * len(text)) & 0xFFFFFFFF))
        return b"".join(body)

    def plain(self, text: bytes) -> bytes:
        """The page with ``text`` at each of its places, uncompressed (for a client that takes no gzip)."""
        pieces = [zlib.decompressobj(-zlib.MAX_WBITS).decompress(part) for part in self.parts]  # not each final
        return text.join(pieces)


def _linear(columns: tuple[int, ...], value: int) -> int:
    """The linear map whose columns are ``columns`` applied to ``value``: one XOR per bit set."""
    result = 0
    while value:
        lowest = value & -value
        result ^= columns[lowest.bit_length() - 1]
        value ^= lowest
    return result
