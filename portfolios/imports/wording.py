"""What brokers' free text says: account kinds, institutions, and cash lines of unclear type.

Pure string rules shared by every parser. Each returns None when the text does not say,
so a parser falls back on its own default (or refuses the line) instead of guessing.
"""

from __future__ import annotations

import re

# Hearth account types by what an account's name or kind says, first match wins (a
# "ROTH 401(K)" is a 401(k); a "ROLLOVER IRA" an IRA).
_ACCOUNT_TYPES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), kind)
    for pattern, kind in (
        (r"\b401\s*\(?K\)?|\bTHRIFT\b|\bTSP\b", "401k"),
        (r"\b403\s*\(?B\)?", "403b"),
        (r"\b457\b", "401k"),
        (r"\bHSA\b|HEALTH\s+SAVINGS", "hsa"),
        (r"\b529\b|COLLEGE\s+SAVINGS", "529"),
        (r"\bROTH\b", "roth_ira"),
        (
            r"\bIRA\b|ROLLOVER|\bSEP\b|SIMPLE\s+IRA|\bKEOGH\b|TRADITIONAL|\bRETIREMENT\b",
            "traditional_ira",
        ),
        (r"\bTRUST\b", "trust"),
        (
            r"\bCHECKING\b|\bSAVINGS\b|MONEY\s*MARKET\s+ACCOUNT|CASH\s+MANAGEMENT|\bCMA\b|CREDIT\s*CARD",
            "cash",
        ),
        (r"\bINDIVIDUAL\b|\bJOINT\b|\bBROKERAGE\b|\bTOD\b|\bMARGIN\b|\bTAXABLE\b", "taxable"),
    )
)

_INSTITUTIONS: tuple[tuple[str, str], ...] = (
    ("fidelity", "Fidelity"),
    ("schwab", "Schwab"),
    ("vanguard", "Vanguard"),
    ("interactive brokers", "Interactive Brokers"),
    ("interactivebrokers", "Interactive Brokers"),
    ("ibllc", "Interactive Brokers"),
    ("ibkr", "Interactive Brokers"),
    ("ameritrade", "TD Ameritrade"),
    ("etrade", "E*TRADE"),
    ("e*trade", "E*TRADE"),
    ("tiaa", "TIAA"),
    ("merrill", "Merrill"),
    ("troweprice", "T. Rowe Price"),
    ("t. rowe", "T. Rowe Price"),
)


def account_type_in_text(text: str) -> str | None:
    """Return the Hearth account type a text names ("ROTH IRA" -> roth_ira), or None."""
    if not text:
        return None
    for pattern, kind in _ACCOUNT_TYPES:
        if pattern.search(text):
            return kind
    return None


def institution_name(*texts: str | None) -> str:
    """Return a household-facing institution name from an FI's ORG, BROKERID or the like
    ("fidelity.com" -> "Fidelity"); unknown names are returned tidied, else ""."""
    for text in texts:
        if not text:
            continue
        folded = text.casefold()
        for needle, name in _INSTITUTIONS:
            if needle in folded:
                return name
    for text in texts:
        if text and text.strip():
            cleaned = text.strip()
            cleaned = re.sub(r"^(www\.)", "", cleaned, flags=re.IGNORECASE)
            cleaned = re.sub(r"\.(com|net|org)$", "", cleaned, flags=re.IGNORECASE)
            return cleaned[:60]
    return ""


# Cash lines whose own code says nothing (OFX TRNTYPE OTHER, a broker's "Misc Cash
# Entry"): what the description says, most specific first. The sign decides between the
# two types of a pair; a type that does not fit the sign is not a match.
_CASH_WORDS: tuple[tuple[re.Pattern[str], str | None, str | None], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), incoming, outgoing)
    for pattern, incoming, outgoing in (
        (r"FOREIGN\s+TAX|TAX\s+WITHH|WITHHOLDING|NRA\s+TAX|BACKUP\s+W", None, "TAX_WITHHELD"),
        (r"ADVIS|MANAGEMENT\s+FEE|\bFEE\b|FEES\b|CHARGE|COMMISSION|EXPENSE", None, "FEE"),
        (r"MARGIN\s+INT|DEBIT\s+INT|INTEREST\s+CHARGED", None, "FEE"),
        (r"INTEREST|\bINT\b", "INTEREST", "FEE"),
        (r"DIVIDEND|\bDIV\b", "INTEREST", None),
        (
            r"DEPOSIT|CONTRIBUTION|CONTRIB|EFT|ACH|WIRE|TRANSFER|XFER|MONEYLINK|CHECK|JOURNAL"
            r"|PAYROLL|DIRECT\s+DEP|ROLLOVER|FUNDS\s+RECEIVED|CASH\s+RECEIVED",
            "DEPOSIT",
            "WITHDRAWAL",
        ),
        (
            r"WITHDRAW|DISTRIBUTION|DISBURSE|PAYMENT|BILL\s*PAY|DEBIT\s+CARD|ATM|PURCHASE",
            None,
            "WITHDRAWAL",
        ),
    )
)


def cash_type_in_text(text: str, *, incoming: bool) -> str | None:
    """Return the Hearth type of a cash line by its description, or None when the words
    do not say (the line is then refused rather than guessed)."""
    if not text:
        return None
    for pattern, in_type, out_type in _CASH_WORDS:
        if pattern.search(text):
            chosen = in_type if incoming else out_type
            if chosen is not None:
                return chosen
    return None


# Characters standing in for hidden digits: runs of X (one X starts real Fidelity numbers),
# asterisks, dots and the like.
_MASK = re.compile(r"X{2,}|[*•.…#]+", re.IGNORECASE)


def normalized_number(number: str) -> str:
    """Return an account number without spaces and punctuation, upper case; masking
    characters stay, so "XXXX-1234" and "...1234" both become a masked form."""
    return re.sub(r"[\s\-/]", "", number).upper()


def visible_tail(number: str) -> str:
    """Return the part of an account number after its last masking character (all of it
    when unmasked): "XXXX-1234" -> "1234", "U***5818" -> "5818"."""
    cleaned = normalized_number(number)
    parts = _MASK.split(cleaned)
    return parts[-1] if parts else cleaned


def is_masked(number: str) -> bool:
    """Return True when the number hides some of its characters."""
    return bool(_MASK.search(normalized_number(number)))


def numbers_match(file_number: str, stored_number: str) -> bool:
    """Return True when a number in a file and an account's stored number are the same
    account: equal, or, when either is masked or stored as just its last digits, the
    visible end of one (at least 3 characters) is the end of the other."""
    a, b = normalized_number(file_number), normalized_number(stored_number)
    if not a or not b:
        return False
    if a == b:
        return True
    tail_a, tail_b = visible_tail(a), visible_tail(b)
    a_partial = is_masked(a)
    b_partial = is_masked(b) or len(b) <= 5
    if a_partial and b_partial:
        shorter = min(len(tail_a), len(tail_b))
        return shorter >= 3 and tail_a[-shorter:] == tail_b[-shorter:]
    if a_partial:
        return len(tail_a) >= 3 and b.endswith(tail_a)
    if b_partial:
        return len(tail_b) >= 3 and a.endswith(tail_b)
    return False


def masked(number: str) -> str:
    """Return how pages and messages show an account number: its last four characters."""
    tail = visible_tail(number) or normalized_number(number)
    return "…" + tail[-4:]
