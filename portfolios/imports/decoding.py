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


def decode_text(content: bytes) -> str:
    """Return the text of an uploaded file.

    1. Refuse files over the size limit.
    2. Refuse UTF-16/32 (their byte-order marks) with a hint, and anything holding NUL
       bytes: spreadsheets, PDFs and archives all do, CSV and OFX never do.
    3. Decode as UTF-8 (a byte-order mark is dropped); if that fails, as Windows-1252,
       which US brokers still use; if even that fails, as Latin-1, which never fails.
    4. Refuse the result when more than 1% of its first 64k characters are control
       characters other than tab, newline and friends.
    """
    check_size(content)
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportFileError("not a text file: it is UTF-16 encoded; save it as CSV (UTF-8)")
    if b"\x00" in content:
        raise ImportFileError("not a text file (it contains NUL bytes)")
    content = strip_bom(content)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = content.decode("cp1252")
        except UnicodeDecodeError:
            text = content.decode("latin-1")
    sample = text[:_SAMPLE_CHARS]
    controls = sum(1 for char in sample if ord(char) < 32 and char not in _ALLOWED_CONTROLS)
    if sample and controls / len(sample) > _MAX_CONTROL_FRACTION:
        raise ImportFileError("not a text file (it contains binary control characters)")
    return text
