"""A page compressed once and a token put in per request (core/gzip_splice.py): whatever the parts and the text,
the spliced stream is one valid gzip member of the joined page, its CRC and size checked by the decompressor."""
import gzip
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventapp.core.gzip_splice import SplicedPage

pieces = st.lists(st.one_of(st.binary(max_size=3000), st.text(max_size=2000).map(str.encode)), min_size=1, max_size=8)


@given(pieces, st.binary(max_size=200), st.integers(min_value=0, max_value=200))
def test_the_spliced_page_is_the_joined_page(parts, text, prepared_length):
    page = SplicedPage.compress(parts, prepared_length)  # a text of another length than prepared still fits
    packed = page.gzip(text)
    assert gzip.decompress(packed) == text.join(parts)  # gzip checks the CRC-32 and the size of the trailer
    assert zlib.decompress(packed, 16 + zlib.MAX_WBITS) == text.join(parts)
    assert page.plain(text) == text.join(parts)


@given(pieces, st.data())
def test_every_text_of_the_prepared_length_gets_the_right_crc(parts, data):
    length = data.draw(st.integers(min_value=0, max_value=120))
    page = SplicedPage.compress(parts, length)
    for _ in range(3):
        text = data.draw(st.binary(min_size=length, max_size=length))
        assert gzip.decompress(page.gzip(text)) == text.join(parts)


def test_a_large_page_is_compressed_once_and_a_token_costs_a_few_bytes_a_place():
    rows = "".join(f"<tr><td>تیم {number}</td><td>{number * 7 % 100}</td></tr>" for number in range(20_000)).encode()
    token = b"IjA1ZjBlZDUyYjk2NGU5NTJm.aFtXcQ.Yz7o8Xh2QwLr1dJXo5zq0vX5mW8"
    page = SplicedPage.compress([b"<form>", rows, b"</form></html>"], len(token))
    packed = page.gzip(token)
    assert gzip.decompress(packed) == b"<form>" + token + rows + token + b"</form></html>"
    assert len(packed) - sum(map(len, page.parts)) <= 2 * (len(token) + 5) + 18


def test_a_text_too_long_for_a_stored_block_is_refused():
    with pytest.raises(ValueError):
        SplicedPage.compress([b"a", b"b"], 70_000)
    with pytest.raises(ValueError):
        SplicedPage.compress([b"a", b"b"], 10).gzip(b"x" * 70_000)
