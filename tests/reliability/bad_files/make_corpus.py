"""Write the bad-input corpus: files a household could feed Hearth's imports that must be
refused whole, each refusal naming where the problem is.

    .venv/bin/python tests/reliability/bad_files/make_corpus.py

Each file is a good file (a sample of ``tests/portfolios/import_files`` or a small Hearth
file) with one thing wrong, so the expected message is known: ``line N`` of the file
(header = line 1), the FITID of an OFX transaction, or the file-level reason for a file that
has no line to name (binary, empty, UTF-16). ``MANIFEST.csv`` lists every file with how it
is imported and what the refusal must say. The file over the upload limit (20 MB) is made
by the test itself rather than kept in git.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parents[1] / "portfolios" / "import_files"
HEADER = "date,account,type,symbol,quantity,price,amount,fees,id,memo"
GOOD = [
    "2024-01-02,Taxable,DEPOSIT,,,,10000,,d1,opening deposit",
    "2024-01-03,Taxable,BUY,VTI,10,230.50,,1.00,b1,",
    "2024-02-15,Taxable,SELL,VTI,5,240,,0.50,s1,",
]

CORPUS: list[dict] = []


def add(name: str, content: bytes, expect: str, what: str, **how: str) -> None:
    (HERE / name).write_bytes(content)
    CORPUS.append(
        {
            "file": name,
            "kind": how.get("kind", "transactions"),
            "format": how.get("format", ""),
            "account": how.get("account", ""),
            "held": how.get("held", ""),
            "expect": expect,
            "what": what,
        }
    )


def hearth(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def replace_line(text: str, number: int, old: str, new: str) -> str:
    lines = text.split("\n")
    assert old in lines[number - 1], (number, old, lines[number - 1])
    lines[number - 1] = lines[number - 1].replace(old, new, 1)
    return "\n".join(lines)


def replace_field(text: str, number: int, column: int, value: str, *, quoted: bool) -> str:
    lines = text.split("\n")
    row = next(csv.reader([lines[number - 1]]))
    row[column] = value
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL if quoted else csv.QUOTE_MINIMAL).writerow(row)
    lines[number - 1] = out.getvalue().rstrip("\r\n")
    return "\n".join(lines)


def hearth_files() -> None:
    line3 = r"line 3\b"
    add(
        "h01-truncated-row.csv",
        hearth(GOOD[0], "2024-01-03,Taxable,BU").encode(),
        line3,
        "the file ends in the middle of a row",
    )
    add(
        "h02-truncated-quoted-field.csv",
        hearth(GOOD[0], '2024-01-03,Taxable,DEPOSIT,,,,100,,d2,"the memo never clo').encode(),
        line3,
        "the file ends inside a quoted field",
    )
    add(
        "h03-utf16-bad-row.csv",
        codecs.BOM_UTF16_LE
        + hearth(GOOD[0], "2024-01-03,Taxable,BUY,VTI,-3,10,,,b1,").encode("utf-16-le"),
        r"line 3\b|UTF-16",
        "UTF-16 with a byte-order mark, a negative quantity on line 3",
    )
    add(
        "h04-latin1-bad-date.csv",
        hearth(
            "2024-01-02,Taxable,DEPOSIT,,,,100,,d1,Café crème",
            "2024-13-02,Taxable,DEPOSIT,,,,100,,d2,Noël",
        ).encode("latin-1"),
        line3,
        "latin-1 accents, month 13 on line 3",
    )
    add(
        "h05-png.csv",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8,
        r"not a text file",
        "a picture renamed .csv",
    )
    add(
        "h06-zip.csv",
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)) * 4,
        r"not a text file|spreadsheet|zip archive",
        "a spreadsheet archive renamed .csv",
    )
    add("h07-empty.csv", b"", r"empty", "an empty file")
    add(
        "h08-duplicate-headers.csv",
        hearth(
            "2024-01-02,Taxable,DEPOSIT,,,,,100,d1",
            header=("date,account,type,symbol,quantity,quantity,price,amount,id"),
        ).encode(),
        r"line 1\b",
        "the quantity column twice",
    )
    rows = {
        "h09-negative-quantity.csv": ("2024-01-03,Taxable,BUY,VTI,-10,230.50,,,b1,", "quantity"),
        "h10-nan-quantity.csv": ("2024-01-03,Taxable,BUY,VTI,NaN,230.50,,,b1,", "quantity"),
        "h11-1e400-quantity.csv": ("2024-01-03,Taxable,BUY,VTI,1e400,230.50,,,b1,", "quantity"),
        "h12-infinity-price.csv": ("2024-01-03,Taxable,BUY,VTI,10,Infinity,,,b1,", "price"),
        "h13-two-decimal-points.csv": ('2024-01-03,Taxable,DEPOSIT,,,,"1,234.5.6",,d2,', "amount"),
        "h14-february-30.csv": ("2025-02-30,Taxable,DEPOSIT,,,,100,,d2,", "date"),
        "h15-future-date.csv": ("2099-01-04,Taxable,DEPOSIT,,,,100,,d2,", "date"),
        "h16-sale-beyond-holdings.csv": ("2024-01-03,Taxable,SELL,VTI,5,240,,,s1,", "quantity"),
        "h17-unknown-account.csv": ("2024-01-03,Nowhere,DEPOSIT,,,,100,,d2,", "account"),
        "h18-10000-char-symbol.csv": (
            f"2024-01-03,Taxable,BUY,{'X' * 10_000},1,10,,,b1,",
            "symbol",
        ),
        "h19-10000-char-memo.csv": (
            f"2024-01-03,Taxable,DEPOSIT,,,,100,,d2,{'m' * 10_000}",
            "memo",
        ),
        "h20-10000-char-account.csv": (f"2024-01-03,{'A' * 10_000},DEPOSIT,,,,100,,d2,", "account"),
        "h21-unknown-type.csv": ("2024-01-03,Taxable,BOUGHT,VTI,1,10,,,b1,", "type"),
        "h22-tiny-quantity.csv": ("2024-01-03,Taxable,BUY,VTI,1e-400,10,,,b1,", "quantity"),
        "h23-split-without-ratio.csv": ("2024-01-03,Taxable,SPLIT,VTI,,,,,x1,", "ratio"),
        "h24-negative-fee.csv": ("2024-01-03,Taxable,BUY,VTI,1,10,,-1,b1,", "fees"),
    }
    for name, (row, column) in rows.items():
        add(
            name,
            hearth(GOOD[0], row).encode(),
            rf"line 3, column {column}\b",
            f"line 3: bad {column}",
        )
    add(
        "h25-two-bad-rows.csv",
        hearth(
            "2024-01-02,Taxable,DEPOSIT,,,,abc,,d1,",
            GOOD[1],
            "2024-01-04,Taxable,BUY,VTI,1,10,,,b2,",
            "2024/01/05,Taxable,FEE,,,,5,,f1,",
        ).encode(),
        r"line 2\b.*line 5\b",
        "two bad rows: both named, nothing of the good ones stored",
    )
    many = [f"2020-01-{1 + n % 28:02d},Taxable,DEPOSIT,,,,100,,bulk{n}," for n in range(1998)]
    add(
        "h26-bad-row-at-line-2000.csv",
        hearth(*many, "2020-02-01,Taxable,DEPOSIT,,,,NaN,,bulk-last,").encode(),
        r"line 2000\b",
        "1998 good rows then a bad one: none of them stored",
    )
    add(
        "h27-nul-in-the-middle.csv",
        hearth(GOOD[0], "2024-01-03,Taxable,DEPOSIT,,,,10\x000,,d2,").encode(),
        r"not a text file|line 3\b",
        "a NUL byte inside a value",
    )
    add(
        "h28-prose.csv",
        b"Dear customer,\nyour statement is attached.\n",
        r"not recognised",
        "a letter, not a transactions file",
    )
    add(
        "h29-100000-columns.csv",
        (HEADER + ",x" * 100_000 + "\n" + GOOD[0] + "\n").encode(),
        r"line \d+\b|column",
        "a header of 100,000 columns",
    )
    add(
        "h30-one-megabyte-line.csv",
        hearth(GOOD[0], "2024-01-03,Taxable,DEPOSIT,,,,100,,d2," + "z" * 1_000_000).encode(),
        line3,
        "a single line of a million characters",
    )


def ofx_files() -> None:
    v1 = (SAMPLES / "sample.ofx").read_text()
    t2 = r"T0002"
    add(
        "o01-truncated.ofx",
        v1[: v1.index("<FITID>T0003")].encode(),
        r"truncat|end of|incomplete|closing|T0003|line \d+",
        "an OFX cut off in a transaction",
        account="Taxable",
    )
    for name, old, new, what in (
        ("o02-nan-units.ofx", "<UNITS>10\n", "<UNITS>NaN\n", "units NaN"),
        ("o03-1e400-units.ofx", "<UNITS>10\n", "<UNITS>1e400\n", "units 1e400"),
        (
            "o04-february-30.ofx",
            "<DTTRADE>20240103200000.000[-5:EST]",
            "<DTTRADE>20250230200000.000[-5:EST]",
            "trade date 2025-02-30",
        ),
        (
            "o05-future-date.ofx",
            "<DTTRADE>20240103200000.000[-5:EST]",
            "<DTTRADE>20990103200000.000[-5:EST]",
            "trade date in 2099",
        ),
        (
            "o06-two-decimal-points.ofx",
            "<UNITPRICE>236.115",
            "<UNITPRICE>236.1.15",
            "price 236.1.15",
        ),
    ):
        assert old in v1, old
        expect = t2
        if name == "o05-future-date.ofx":
            expect = (
                r"line \d+, column date: 2099-01-03 is in the future "
                r".*\(FITID T0002, 'BOUGHT VTI'\)"
            )
        add(name, v1.replace(old, new, 1).encode(), expect, f"T0002: {what}", account="Taxable")
    add(
        "o07-binary-after-header.ofx",
        v1[: v1.index("<OFX>")].encode() + bytes(range(256)) * 16,
        r"not a text file|not an OFX|could not read",
        "an OFX header, then binary",
        account="Taxable",
    )
    v2 = (SAMPLES / "sample_v2.qfx").read_text()
    head, rest = v2.split("?>\n", 1)
    head2, rest2 = rest.split("?>\n", 1)
    prologue = head + "?>\n" + head2 + "?>\n"
    laughs = (
        '<!DOCTYPE OFX [\n<!ENTITY a "hahahahahahahahahahahahahahahahahahahahahaha">\n'
        + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">\n' for i in range(9))
        + "]>\n"
    )
    add(
        "o08-entity-expansion.qfx",
        (prologue + laughs + rest2.replace("<ORG>Example Brokerage", "<ORG>&j;", 1)).encode(),
        r"line 3: not a safe OFX file: it declares the entity 'a' \(<!ENTITY>\)",
        "a billion laughs: nested entities a billion characters long",
        account="Roth IRA",
        held="FXAIX:5",
    )
    external = '<!DOCTYPE OFX [\n<!ENTITY secret SYSTEM "file:///etc/passwd">\n]>\n'
    add(
        "o09-external-entity.qfx",
        (
            prologue + external + rest2.replace("<ORG>Example Brokerage", "<ORG>&secret;", 1)
        ).encode(),
        r"line 3: not a safe OFX file: it declares the entity 'secret', read from "
        r"file:///etc/passwd",
        "an external entity reading /etc/passwd",
        account="Roth IRA",
        held="FXAIX:5",
    )
    add(
        "o10-sale-beyond-holdings.qfx",
        v2.encode(),
        r"FXAIX|line \d+|[A-Z0-9-]{4,}",
        "sells FXAIX the account never held (no --open-missing)",
        account="Roth IRA",
    )
    add(
        "o11-bank-amount-unreadable.ofx",
        v1.replace("<TRNAMT>5000.00", "<TRNAMT>5,000.0.0", 1).encode(),
        r"T0001",
        "T0001: a deposit of 5,000.0.0",
        account="Taxable",
    )


def broker_files() -> None:
    fidelity = (SAMPLES / "fidelity.csv").read_text()
    add(
        "f01-truncated.csv",
        fidelity[: fidelity.index("03/27/2024, REINVEST") + 25].encode(),
        r"line 8\b",
        "a Fidelity history cut off on line 8",
        format="fidelity",
        account="Taxable",
    )
    add(
        "f02-nan-quantity.csv",
        replace_field(fidelity, 5, 5, "NaN", quoted=False).encode(),
        r"line 5\b",
        "a Fidelity buy of NaN shares",
        format="fidelity",
        account="Taxable",
    )
    add(
        "f03-february-30.csv",
        replace_field(fidelity, 5, 0, "02/30/2024", quoted=False).encode(),
        r"line 5\b",
        "a Fidelity run date of February 30",
        format="fidelity",
        account="Taxable",
    )
    schwab = (SAMPLES / "schwab.csv").read_text()
    add(
        "s01-two-decimal-points.csv",
        replace_field(schwab, 4, 7, "-$3,806.1.7", quoted=True).encode(),
        r"line 4\b",
        "a Schwab amount -$3,806.1.7",
        format="schwab",
        account="Taxable",
    )
    add(
        "s02-truncated-quoted.csv",
        schwab[: schwab.index('"Qualified Dividend"') + 12].encode(),
        r"line 5\b",
        "a Schwab export cut off inside a quoted field",
        format="schwab",
        account="Taxable",
    )
    add(
        "s03-february-30.csv",
        replace_field(schwab, 4, 0, "02/30/2024", quoted=True).encode(),
        r"line 4\b",
        "a Schwab date of February 30",
        format="schwab",
        account="Taxable",
    )
    vanguard = (SAMPLES / "vanguard.csv").read_text()
    add(
        "v01-1e400-shares.csv",
        replace_field(vanguard, 12, 7, "1e400", quoted=False).encode(),
        r"line 12\b",
        "Vanguard reinvestment of 1e400 shares",
        format="vanguard",
        account="Taxable",
    )
    add(
        "v02-february-30.csv",
        replace_field(vanguard, 11, 1, "2024-02-30", quoted=False).encode(),
        r"line 11\b",
        "Vanguard trade date of February 30",
        format="vanguard",
        account="Taxable",
    )
    ibkr = (SAMPLES / "ibkr_flex.csv").read_text()
    add(
        "i01-february-30.csv",
        replace_field(ibkr, 5, 7, "20250230", quoted=True).encode(),
        r"line 5\b",
        "IBKR trade date 2025-02-30",
        format="ibkr",
        account="Taxable",
        held="SAP:4",
    )
    add(
        "i02-nan-quantity.csv",
        replace_field(ibkr, 5, 9, "NaN", quoted=True).encode(),
        r"line 5\b",
        "IBKR quantity NaN",
        format="ibkr",
        account="Taxable",
        held="SAP:4",
    )


def market_files() -> None:
    prices = "symbol,date,close\nVTI,2024-01-02,230.10\n{}\nVTI,2024-01-04,231.00\n"
    for name, row, what in (
        ("p01-nan-close.csv", "VTI,2024-01-03,NaN", "close NaN"),
        ("p02-negative-close.csv", "VTI,2024-01-03,-230", "negative close"),
        ("p03-february-30.csv", "VTI,2025-02-30,230", "February 30"),
        ("p04-1e400-close.csv", "VTI,2024-01-03,1e400", "close 1e400"),
        ("p05-truncated.csv", "VTI,2024-01-0", "a row cut short"),
        (
            "p06-10000-char-symbol.csv",
            f"{'V' * 10_000},2024-01-03,230",
            "a 10,000-character symbol",
        ),
    ):
        add(
            name, prices.format(row).encode(), r"line 3\b", f"prices, line 3: {what}", kind="prices"
        )
    add(
        "p07-wrong-header.csv",
        b"ticker,day,price\nVTI,2024-01-02,230\n",
        r"line 1\b|column",
        "prices without the symbol,date,close header",
        kind="prices",
    )
    dividends = "symbol,ex_date,pay_date,amount\nVTI,2024-03-21,2024-03-26,0.91\n{}\n"
    for name, row, what in (
        ("d01-nan-amount.csv", "VTI,2024-06-27,2024-07-01,NaN", "amount NaN"),
        ("d02-february-30.csv", "VTI,2024-02-30,2024-03-04,0.90", "ex-date February 30"),
        ("d03-two-decimal-points.csv", "VTI,2024-06-27,2024-07-01,0.9.1", "amount 0.9.1"),
        ("d04-utf16.csv", None, "UTF-16"),
    ):
        if row is None:
            content = codecs.BOM_UTF16_LE + dividends.format("VTI,2024-06-27,2024-07-01,-1").encode(
                "utf-16-le"
            )
            add(
                name,
                content,
                r"line 3\b|UTF-16",
                "dividends in UTF-16, negative amount",
                kind="dividends",
            )
            continue
        add(
            name,
            dividends.format(row).encode(),
            r"line 3\b",
            f"dividends, line 3: {what}",
            kind="dividends",
        )


def main() -> None:
    for old in HERE.glob("*"):
        if old.suffix in {".csv", ".ofx", ".qfx"}:
            old.unlink()
    hearth_files()
    ofx_files()
    broker_files()
    market_files()
    with (HERE / "MANIFEST.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(CORPUS[0]))
        writer.writeheader()
        writer.writerows(CORPUS)
    print(f"{len(CORPUS)} files written to {HERE}")


if __name__ == "__main__":
    main()
