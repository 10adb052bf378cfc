"""Turn uploaded bytes into text, refusing files that are too big or not text at all."""

from __future__ import annotations

import codecs

from portfolios.imports.rows import MAX_FILE_BYTES, ImportFileError

# Control characters that legitimately appear in text exports: tab, LF, VT, FF, CR and the
# old DOS end-of-file marker some Windows tools still append.
_ALLOWED_CONTROLS = frozenset("\t\n\x0b\x0c\r\x1a")
# A text file has almost no other control characters; a few stray ones are tolerated.
_MAX_CONTROL_FRACTION = 0.01
_SAMPLE_CHARS = 65_536
_SAMPLE_BYTES = 4096
# In UTF-16 text of Latin letters every other byte is NUL; in a binary file NULs are
# scattered. Nearly all the NULs on one side and none on the other means UTF-16.
_UTF16_NUL_SHARE = 0.4


def check_size(content: bytes) -> None:
    """Raise ImportFileError when the file is larger than MAX_FILE_BYTES."""
    if len(content) > MAX_FILE_BYTES:
        megabytes = len(content) / (1024 * 1024)
        raise ImportFileError(
            f"the file is too big ({megabytes:.1f} MB); the limit is "
            f"{MAX_FILE_BYTES // (1024 * 1024)} MB"
        )


def strip_bom(content: bytes) -> bytes:
    """Return the bytes without a leading UTF-8 byte-order mark."""
    if content.startswith(codecs.BOM_UTF8):
        return content[len(codecs.BOM_UTF8) :]
    return content


def _utf16_without_bom(content: bytes) -> str | None:
    """Return "utf-16-le" or "utf-16-be" when BOM-less bytes look like UTF-16 text."""
    sample = content[:_SAMPLE_BYTES]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    even_nuls, odd_nuls = even.count(0), odd.count(0)
    if odd_nuls >= _UTF16_NUL_SHARE * len(odd) and even_nuls == 0:
        return "utf-16-le"
    if even_nuls >= _UTF16_NUL_SHARE * len(even) and odd_nuls == 0:
        return "utf-16-be"
    return None


def _decode_wide(content: bytes, encoding: str) -> str:
    try:
        return content.decode(encoding)
    except UnicodeDecodeError:
        raise ImportFileError(
            f"not a text file: it starts like {encoding.upper()} text but does not decode; "
            "save it again as CSV (UTF-8)"
        ) from None


def decode_text(content: bytes) -> str:
    """Return the text of an uploaded file.

    1. Refuse files over the size limit.
    2. UTF-32 and UTF-16 with a byte-order mark, and UTF-16 without one (Excel's "Unicode
       text"), are decoded as such. Any other file holding NUL bytes is refused:
       spreadsheets, PDFs and archives all do, CSV and OFX never do.
    3. Decode as UTF-8 (a byte-order mark is dropped); if that fails, as Windows-1252,
       which US brokers still use; if even that fails, as Latin-1, which never fails.
    4. Refuse the result when more than 1% of its first 64k characters are control
       characters other than tab, newline and friends.
    """
    check_size(content)
    if content.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        text = _decode_wide(content, "utf-32")
    elif content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decode_wide(content, "utf-16")
    elif b"\x00" in content:
        wide = _utf16_without_bom(content)
        if wide is None:
            raise ImportFileError(
                "not a text file (it contains NUL bytes); export the statement as CSV or OFX"
            )
        text = _decode_wide(content, wide)
    else:
        content = strip_bom(content)
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = content.decode("cp1252")
            except UnicodeDecodeError:
                text = content.decode("latin-1")
    text = text.removeprefix("\ufeff")
    sample = text[:_SAMPLE_CHARS]
    controls = sum(1 for char in sample if ord(char) < 32 and char not in _ALLOWED_CONTROLS)
    if "\x00" in sample or (sample and controls / len(sample) > _MAX_CONTROL_FRACTION):
        raise ImportFileError(
            "not a text file (it contains binary control characters); export the statement "
            "as CSV or OFX"
        )
    return text
