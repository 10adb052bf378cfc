"""Read OFX markup (v1 SGML and v2 XML alike) into an element tree, leniently and in
linear time.

Real statements bend the specification: no header at all, leaf elements without end tags
(SGML) or with them (XML), aggregates whose end tag is missing, empty elements, stray end
tags, a byte-order mark, comments and CDATA. This reader takes them all without an XML
parser, so nothing in a file can make it expand entities, fetch a DTD or an external
entity: the only references decoded are character references and HTML's named ones. A
file that declares entities is refused outright (``refuse_entity_declarations``).

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

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from portfolios.imports.rows import ImportFileError

MAX_DEPTH = 64
MAX_ELEMENTS = 2_000_000
SECONDS = 30.0
_CHECK_EVERY = 4096
_OFX_START = re.compile(r"<\s*OFX\s*>", re.IGNORECASE)
_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY)\b", re.IGNORECASE)
UNSAFE = (
    "OFX needs no entity declarations, and a file that declares them is how a billion-laughs "
    "expansion or an external entity (reading a file of the server) is smuggled in; Hearth "
    "refuses it. Download the statement again from the broker"
)
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


# A tag and the text after it up to the next "<", or the start of a CDATA section or a
# comment; nothing in it can run past the next "<" or ">", so one pass finds every token.
_TOKEN = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9_.:\-]*)[^<>]*?(/?)>([^<]*)|<!\[CDATA\[|<!--")


def _decoded(raw: str, cdata: list[str] | None) -> str:
    """Return a leaf's text: references decoded outside CDATA sections, trimmed."""
    if cdata is None:
        return (html.unescape(raw) if "&" in raw else raw).strip()
    return "".join(
        piece if index % 2 else (html.unescape(piece) if "&" in piece else piece)
        for index, piece in enumerate([*cdata, raw])
    ).strip()


def _close(stack: list[list], index: int) -> None:
    """Close the elements from ``stack[index]`` up; those that were empty SGML leaves give
    what was read after them to their parents."""
    while len(stack) > index:
        element, explicit = stack.pop()
        if explicit or element.tag in AGGREGATES or not len(element):
            continue
        if not stack:
            continue
        parent = stack[-1][0]
        children = list(element)
        for child in children:
            element.remove(child)
            parent.append(child)


class _Builder:
    """The open elements and the one whose kind (leaf or aggregate) is not known yet."""

    def __init__(self, text: str, root: ET.Element) -> None:
        self.text = text
        self.stack: list[list] = [[root, False]]  # [element, closed by its end tag]
        self.pending: ET.Element | None = None
        self.pending_at = 0
        self.raw = ""  # text after the pending element's start tag
        self.cdata: list[str] | None = None  # text before and inside CDATA sections
        self.counted_to = 0
        self.line = 1

    def line_at(self, position: int) -> str:
        self.line += self.text.count("\n", self.counted_to, position)
        self.counted_to = position
        return str(self.line)

    def settle(self, *, aggregate_allowed: bool) -> None:
        """Decide what the pending element is: a leaf when text follows it, else an
        aggregate (or, when ``aggregate_allowed`` is False, an empty leaf)."""
        element = self.pending
        self.pending = None
        value = _decoded(self.raw, self.cdata)
        stack = self.stack
        if value or not aggregate_allowed:
            element.text = value
            stack[-1][0].append(element)
            return
        name = element.tag
        for index in range(len(stack) - 1, 0, -1):
            if stack[index][0].tag == name:
                _close(stack, index)  # an aggregate never holds itself: its end tag is missing
                break
        if len(stack) >= MAX_DEPTH:
            raise ImportFileError("not a readable OFX file: its elements nest too deeply")
        element.set("line", self.line_at(self.pending_at))
        stack[-1][0].append(element)
        stack.append([element, False])

    def close(self, name: str) -> None:
        stack = self.stack
        if self.pending is not None:
            if self.pending.tag == name:
                explicit_aggregate = name in AGGREGATES and not _decoded(self.raw, self.cdata)
                self.settle(aggregate_allowed=explicit_aggregate)
                if explicit_aggregate:
                    stack[-1][1] = True
                    _close(stack, len(stack) - 1)
                return
            self.settle(aggregate_allowed=False)
        for index in range(len(stack) - 1, -1, -1):
            if stack[index][0].tag == name:
                stack[index][1] = True
                _close(stack, index)
                return


def refuse_entity_declarations(text: str, ofx_start: int) -> None:
    """Raise ImportFileError, naming the line, when the file declares entities.

    The reader below never expands an entity, but a file that declares one is hostile or
    broken, so it is refused rather than read with its references left as text. The
    declarations before ``<OFX>`` (an XML prolog's, or an SGML file's) are checked by
    ``defusedxml`` with entities and external references forbidden, which names the entity
    (and the file or URL an external one reads) without expanding anything; a plain
    ``<!DOCTYPE OFX>`` declares nothing and passes. An ``<!ENTITY`` anywhere else is
    refused as it is.
    """
    match = _DECLARATION.search(text)
    if match is None:
        return
    line = text.count("\n", 0, match.start()) + 1
    if match.start() < ofx_start:
        try:
            SafeET.fromstring(
                text[match.start() : ofx_start] + "<OFX/>",
                forbid_dtd=False,
                forbid_entities=True,
                forbid_external=True,
            )
        except DefusedXmlException as problem:
            name = getattr(problem, "name", None)
            source = getattr(problem, "sysid", None)
            what = f"the entity '{name}'" if name else "an entity"
            if source:
                what += f", read from {source}"
            raise ImportFileError(
                f"line {line}: not a safe OFX file: it declares {what} (<!ENTITY>). {UNSAFE}"
            ) from None
        except ET.ParseError:
            raise ImportFileError(
                f"line {line}: not a safe OFX file: its document type declaration "
                f"(<!DOCTYPE>) cannot be checked for entities. {UNSAFE}"
            ) from None
        match = _DECLARATION.search(text, ofx_start)
        if match is None or match.group(1).upper() != "ENTITY":
            return
        line = text.count("\n", 0, match.start()) + 1
    raise ImportFileError(
        f"line {line}: not a safe OFX file: it declares an entity (<!ENTITY>). {UNSAFE}"
    )


def ofx_tree(text: str, *, seconds: float = SECONDS) -> ET.Element:
    """Return the ``<OFX>`` element of an OFX document's text; raise ImportFileError when
    there is none or the file is beyond the limits.

    One pass of a regular expression that matches a tag with the text after it, a CDATA
    start or a comment start finds every token; CDATA sections and comments are skipped
    to their ends with ``str.find``, once each, so no input makes the reading quadratic.
    """
    match = _OFX_START.search(text)
    if match is None:
        raise ImportFileError("not a readable OFX file: it has no <OFX> element")
    refuse_entity_declarations(text, match.start())
    deadline = time.monotonic() + seconds
    root = ET.Element("OFX")
    builder = _Builder(text, root)
    root.set("line", builder.line_at(match.start()))
    names: dict[str, str] = {}
    pos = match.end()
    count = 0
    for token in _TOKEN.finditer(text, pos):
        start = token.start()
        if start < pos:
            continue  # inside a CDATA section or comment already read
        count += 1
        if count % _CHECK_EVERY == 0:
            if time.monotonic() > deadline:
                raise ImportFileError(
                    "not a readable OFX file: it took too long to read; export a shorter period"
                )
            if count > MAX_ELEMENTS:
                raise ImportFileError("not a readable OFX file: it holds too many elements")
        if builder.pending is not None and start > pos:
            builder.raw += text[pos:start]
        raw_name = token.group(2)
        if raw_name is None:
            end_marker = "-->" if token.group(0) == "<!--" else "]]>"
            end = text.find(end_marker, token.end())
            if end_marker == "]]>" and builder.pending is not None:
                content = text[token.end() : end if end >= 0 else len(text)]
                builder.cdata = [*(builder.cdata or []), builder.raw, content]
                builder.raw = ""
            if end < 0:
                pos = len(text)
                break
            pos = end + len(end_marker)
            continue
        pos = token.end()
        name = names.get(raw_name)
        if name is None:
            name = names[raw_name] = raw_name.upper()
        if token.group(1):  # an end tag
            builder.close(name)
            if not builder.stack:
                break
            continue
        pending = builder.pending
        if pending is not None:
            raw = builder.raw
            if builder.cdata is None and "&" not in raw and raw.strip():
                # The common case, a leaf with plain text: settled here, not by a call.
                pending.text = raw.strip()
                builder.stack[-1][0].append(pending)
                builder.pending = None
            else:
                builder.settle(aggregate_allowed=True)
        if token.group(3):  # <TAG/>
            ET.SubElement(builder.stack[-1][0], name).text = ""
            continue
        builder.pending = ET.Element(name)
        builder.pending_at = start
        builder.raw = token.group(4)
        builder.cdata = None
    if builder.pending is not None and builder.stack:
        if pos < len(text):
            builder.raw += text[pos:]
        builder.settle(aggregate_allowed=False)
    return root
