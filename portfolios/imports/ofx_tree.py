"""Read OFX markup (v1 SGML and v2 XML alike) into an element tree, leniently and in
linear time.

Real statements bend the specification: no header at all, leaf elements without end tags
(SGML) or with them (XML), aggregates whose end tag is missing, empty elements, stray end
tags, a byte-order mark, comments and CDATA. This reader takes them all without an XML
parser, so nothing in a file can make it expand entities, fetch a DTD or an external
entity: the only references decoded are character references and HTML's named ones.

How elements are recognised:

1. A start tag followed by text is a leaf holding that text; an end tag of the same name
   right after the text is consumed (XML), and its absence is fine (SGML).
2. A start tag followed by an end tag of the same name, or written ``<TAG/>``, is an empty
   leaf.
3. Any other start tag opens an aggregate. An end tag closes the innermost open element of
   its name and every element opened inside it; an end tag naming nothing open is
   ignored. OFX aggregates never contain themselves, so opening one whose name is
   already open closes that one first (a missing end tag between two transactions).
4. An element closed implicitly that is not a known aggregate was an empty SGML leaf:
   what was read after it moves up to its parent.

Every step scans forward only, so reading time grows with the file's length; a deadline
and limits on depth and element count bound the rest.
"""

from __future__ import annotations

import html
import re
import time
import xml.etree.ElementTree as ET

from portfolios.imports.rows import ImportFileError

MAX_DEPTH = 64
MAX_ELEMENTS = 2_000_000
SECONDS = 20.0
_CHECK_EVERY = 4096
_OFX_START = re.compile(r"<\s*OFX\s*>", re.IGNORECASE)
_TAG_NAME = re.compile(r"^(/?)\s*([A-Za-z][A-Za-z0-9_.:-]*)\s*(/?)\s*$")

# Aggregates (OFX 2.1.1 and 1.6), so that one left unclosed keeps what it holds.
AGGREGATES = frozenset(
    [
        "OFX",
        "SIGNONMSGSRSV1",
        "SONRS",
        "STATUS",
        "FI",
        "SIGNUPMSGSRSV1",
        "ACCTINFOTRNRS",
        "ACCTINFORS",
        "ACCTINFO",
        "BANKMSGSRSV1",
        "STMTTRNRS",
        "STMTRS",
        "BANKACCTFROM",
        "BANKACCTTO",
        "BANKTRANLIST",
        "STMTTRN",
        "LEDGERBAL",
        "AVAILBAL",
        "BALLIST",
        "BAL",
        "CREDITCARDMSGSRSV1",
        "CCSTMTTRNRS",
        "CCSTMTRS",
        "CCACCTFROM",
        "CCACCTTO",
        "INVSTMTMSGSRSV1",
        "INVSTMTTRNRS",
        "INVSTMTRS",
        "INVACCTFROM",
        "INVACCTTO",
        "INVTRANLIST",
        "INVBANKTRAN",
        "BUYDEBT",
        "BUYMF",
        "BUYOPT",
        "BUYOTHER",
        "BUYSTOCK",
        "CLOSUREOPT",
        "INCOME",
        "INVEXPENSE",
        "JRNLFUND",
        "JRNLSEC",
        "MARGININTEREST",
        "REINVEST",
        "RETOFCAP",
        "SELLDEBT",
        "SELLMF",
        "SELLOPT",
        "SELLOTHER",
        "SELLSTOCK",
        "SPLIT",
        "TRANSFER",
        "INVBUY",
        "INVSELL",
        "INVTRAN",
        "SECID",
        "CURRENCY",
        "ORIGCURRENCY",
        "INVPOSLIST",
        "POSDEBT",
        "POSMF",
        "POSOPT",
        "POSOTHER",
        "POSSTOCK",
        "INVPOS",
        "INVBAL",
        "INVOOLIST",
        "INV401K",
        "INV401KBAL",
        "MATCHINFO",
        "CONTRIBINFO",
        "CONTRIBSECURITY",
        "VESTINFO",
        "LOANINFO",
        "INV401KSUMMARY",
        "YEARTODATE",
        "INCLUSIVE",
        "CONTRIBUTIONS",
        "WITHDRAWALS",
        "EARNINGS",
        "SECLISTMSGSRSV1",
        "SECLIST",
        "SECLISTTRNRS",
        "SECLISTRS",
        "STOCKINFO",
        "MFINFO",
        "DEBTINFO",
        "OPTINFO",
        "OTHERINFO",
        "SECINFO",
        "MFASSETCLASS",
        "FIMFASSETCLASS",
        "PORTION",
        "FIPORTION",
        "PAYEE",
        "EXTBANKACCTTO",
        "INVACCTINFO",
        "BANKACCTINFO",
        "CCACCTINFO",
        "INVSTMTENDRS",
        "STMTENDRS",
        "INVOOBUYSTOCK",
        "INVOOSELLSTOCK",
        "OO",
    ]
)


class _Reader:
    def __init__(self, text: str, deadline: float) -> None:
        self.text = text
        self.deadline = deadline
        self.count = 0
        self.next_gt = -1

    def check(self) -> None:
        self.count += 1
        if self.count % _CHECK_EVERY == 0 and time.monotonic() > self.deadline:
            raise ImportFileError(
                "not a readable OFX file: it took too long to read; export a shorter period"
            )
        if self.count > MAX_ELEMENTS:
            raise ImportFileError("not a readable OFX file: it holds too many elements")

    def tag_at(self, lt: int) -> tuple[int, str | None]:
        """Return (position after the markup at ``lt``, tag text or None for markup that
        is not a tag: comments, processing instructions, declarations, garbage)."""
        text = self.text
        if text.startswith("<!--", lt):
            end = text.find("-->", lt + 4)
            return (len(text) if end < 0 else end + 3), None
        if lt > self.next_gt:
            self.next_gt = text.find(">", lt)
            if self.next_gt < 0:
                self.next_gt = len(text)
                return len(text), None
        gt = self.next_gt
        inner_lt = text.find("<", lt + 1, gt)
        if inner_lt >= 0:
            return inner_lt, None  # a lone "<": text, not a tag
        return gt + 1, text[lt + 1 : gt]


def _text_until_tag(reader: _Reader, pos: int) -> tuple[str, int]:
    """Return the text from ``pos`` to the next tag (CDATA sections included, decoded)
    and where that tag starts."""
    text = reader.text
    parts: list[str] = []
    while True:
        lt = text.find("<", pos)
        if lt < 0:
            parts.append(text[pos:])
            return "".join(parts), len(text)
        parts.append(text[pos:lt])
        if text.startswith("<![CDATA[", lt):
            end = text.find("]]>", lt + 9)
            if end < 0:
                parts.append(text[lt + 9 :])
                return "".join(parts), len(text)
            parts.append("\x00" + text[lt + 9 : end] + "\x00")
            pos = end + 3
            continue
        return "".join(parts), lt


def _leaf_text(raw: str) -> str:
    """Decode references outside CDATA sections (marked with NULs) and trim."""
    pieces = raw.split("\x00")
    decoded = [
        html.unescape(piece) if index % 2 == 0 else piece for index, piece in enumerate(pieces)
    ]
    return "".join(decoded).strip()


def _close(stack: list[tuple[ET.Element, bool]], index: int) -> None:
    """Close the elements from ``stack[index]`` up; those that were empty SGML leaves give
    what was read after them to their parents."""
    while len(stack) > index:
        element, explicit = stack.pop()
        if explicit or element.tag in AGGREGATES or not len(element):
            continue
        parent = stack[-1][0] if stack else None
        if parent is None:
            continue
        children = list(element)
        for child in children:
            element.remove(child)
            parent.append(child)


def ofx_tree(text: str, *, seconds: float = SECONDS) -> ET.Element:
    """Return the ``<OFX>`` element of an OFX document's text; raise ImportFileError when
    there is none or the file is beyond the limits."""
    match = _OFX_START.search(text)
    if match is None:
        raise ImportFileError("not a readable OFX file: it has no <OFX> element")
    reader = _Reader(text, time.monotonic() + seconds)
    root = ET.Element("OFX")
    # (element, closed by its own end tag so far?) from the root down.
    stack: list[tuple[ET.Element, bool]] = [(root, False)]
    pos = match.end()
    length = len(text)
    # Where each element starts, as a line of the file, for messages (counted forward).
    counted_to, line = 0, 1

    def line_at(position: int) -> str:
        nonlocal counted_to, line
        line += text.count("\n", counted_to, position)
        counted_to = position
        return str(line)

    root.set("line", line_at(match.start()))
    while pos < length and stack:
        reader.check()
        lt = text.find("<", pos)
        if lt < 0:
            break
        if text.startswith("<![CDATA[", lt):
            _, pos = _text_until_tag(reader, lt)  # stray CDATA between elements: ignored
            continue
        pos, tag = reader.tag_at(lt)
        if tag is None or tag.startswith(("?", "!")):
            continue
        parsed = _TAG_NAME.match(tag)
        if parsed is None:
            continue
        closing, name, empty = parsed.group(1) == "/", parsed.group(2).upper(), parsed.group(3)
        if closing:
            for index in range(len(stack) - 1, -1, -1):
                if stack[index][0].tag == name:
                    stack[index] = (stack[index][0], True)
                    _close(stack, index)
                    break
            continue
        parent = stack[-1][0]
        if empty:
            ET.SubElement(parent, name, line=line_at(lt)).text = ""
            continue
        raw, next_lt = _text_until_tag(reader, pos)
        value = _leaf_text(raw)
        if value:
            ET.SubElement(parent, name, line=line_at(lt)).text = value
            pos = next_lt
            end_tag = f"</{name}>"
            if text[next_lt : next_lt + len(end_tag)].upper() == end_tag:
                pos = next_lt + len(end_tag)
            continue
        end_tag = f"</{name}>"
        if text[next_lt : next_lt + len(end_tag)].upper() == end_tag and name not in AGGREGATES:
            ET.SubElement(parent, name).text = ""
            pos = next_lt + len(end_tag)
            continue
        for index in range(len(stack) - 1, 0, -1):
            if stack[index][0].tag == name:
                _close(stack, index)
                break
        if len(stack) >= MAX_DEPTH:
            raise ImportFileError("not a readable OFX file: its elements nest too deeply")
        element = ET.SubElement(stack[-1][0], name, line=line_at(lt))
        stack.append((element, False))
        pos = next_lt
    return root
