"""`/api/v1/transactions/`: filters, CSV, and writes checked like an imported row."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portfolios.models import LedgerState, Transaction
from portfolios.services.ledger import ledger_rebuild
from tests.conftest import client_for, token_client
from tests.portfolios.factories import AccountFactory, SecurityFactory, TransactionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.api]

URL = "/api/v1/transactions/"
D = Decimal


@pytest.fixture
def ledger(cast):
    """Household Alpha: a deposit, a buy and a dividend in Taxable, a buy in the Roth.
    Household Bravo: one deposit."""
    vti, bnd = SecurityFactory(symbol="VTI"), SecurityFactory(symbol="BND")
    taxable = AccountFactory(household=cast.household_a, name="Taxable")
    roth = AccountFactory(household=cast.household_a, name="Roth IRA", type="roth_ira")
    bravo = AccountFactory(household=cast.household_b, name="Bravo Brokerage")
    rows = {
        "deposit": TransactionFactory(
            account=taxable, trade_date=date(2024, 1, 2), amount=D(10000), external_id="dep-1"
        ),
        "buy": TransactionFactory(
            account=taxable, trade_date=date(2024, 1, 3), type="BUY", security=vti,
            quantity=D(10), price=D("200.5"), amount=D(2005), fees=D(1), external_id="b1",
        ),
        "roth_buy": TransactionFactory(
            account=roth, trade_date=date(2024, 2, 1), type="BUY", security=bnd,
            quantity=D(5), price=D(70), amount=D(350), external_id="r1",
        ),
        "dividend": TransactionFactory(
            account=taxable, trade_date=date(2024, 3, 28), type="DIVIDEND", security=vti,
            amount=D("12.34"), income_class="qualified", external_id="d1",
        ),
        "bravo_deposit": TransactionFactory(
            account=bravo, trade_date=date(2024, 1, 5), amount=D(900)
        ),
    }  # fmt: skip
    return {"taxable": taxable, "roth": roth, "bravo": bravo, "vti": vti, **rows}


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def test_lists_the_households_transactions_newest_first(cast, ledger):
    # when
    response = client_for(cast.viewer).get(URL)
    # then Bravo's deposit is absent; 2024-03-28, 02-01, 01-03, 01-02
    assert response.status_code == 200
    assert ids(response) == [ledger[name].pk for name in ("dividend", "roth_buy", "buy", "deposit")]
    buy = response.json()["results"][2]
    assert buy == {
        "id": ledger["buy"].pk,
        "date": "2024-01-03",
        "account": "Taxable",
        "account_id": ledger["taxable"].pk,
        "type": "BUY",
        "symbol": "VTI",
        "security_id": ledger["vti"].pk,
        "quantity": "10",
        "price": "200.5",
        "amount": "2005",
        "fees": "1",
        "currency": "",
        "fx_rate": None,
        "ratio": None,
        "to_account": None,
        "lots": "",
        "income_class": "",
        "external_id": "b1",
        "memo": "",
        "import_batch_id": None,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("account=Taxable", ["dividend", "buy", "deposit"]),
        ("symbol=vti", ["dividend", "buy"]),
        ("type=buy", ["roth_buy", "buy"]),
        ("start=2024-01-03&end=2024-02-01", ["roth_buy", "buy"]),
        ("account=Taxable&type=DIVIDEND&symbol=VTI", ["dividend"]),
    ],
)
def test_filters(cast, ledger, query, expected):
    response = client_for(cast.owner).get(f"{URL}?{query}")
    assert response.status_code == 200
    assert ids(response) == [ledger[name].pk for name in expected]


def test_account_filter_takes_an_id(cast, ledger):
    response = client_for(cast.owner).get(f"{URL}?account={ledger['roth'].pk}")
    assert ids(response) == [ledger["roth_buy"].pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=2024-13-01", "start"),
        ("end=yesterday", "end"),
        ("type=BOUGHT", "type"),
        ("account=Nope", "account"),
        ("account=Bravo%20Brokerage", "account"),
        ("start=2024-03-01&end=2024-02-01", "end"),
    ],
)
def test_bad_filters_answer_400_naming_the_field(cast, ledger, query, field):
    response = client_for(cast.owner).get(f"{URL}?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Invalid input."
    assert list(body["errors"]) == [field]


def test_csv_has_every_row_with_stable_columns(cast, ledger):
    # when
    response = client_for(cast.owner).get(f"{URL}?format=csv&page_size=1")
    # then one header row and 4 rows, not paginated
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    # and streamed, rows written as they are read
    assert response.streaming
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == (
        "id,date,account,account_id,type,symbol,security_id,quantity,price,amount,fees,"
        "currency,fx_rate,ratio,to_account,lots,income_class,external_id,memo,import_batch_id"
    )
    assert len(lines) == 1 + 4
    assert lines[3] == (
        f"{ledger['buy'].pk},2024-01-03,Taxable,{ledger['taxable'].pk},BUY,VTI,"
        f"{ledger['vti'].pk},10,200.5,2005,1,,,,,,,b1,,"
    )


def test_csv_stream_is_the_serializers_rows_cell_for_cell(cast, ledger):
    # given rows whose cells test every writer: a formula-like memo and account name, a
    # split's ratio, an FX rate, a transfer's other account, negative and tiny decimals
    odd = AccountFactory(household=cast.household_a, name="=Trading")
    TransactionFactory(
        account=odd,
        trade_date=date(2024, 4, 2),
        type="SPLIT",
        security=ledger["vti"],
        split_new=D("2.0"),
        split_old=D(1),
        amount=D(0),
        memo="@SUM(A1:A9)",
        external_id="-s1",
    )
    TransactionFactory(
        account=odd,
        trade_date=date(2024, 4, 3),
        type="TRANSFER",
        to_account=ledger["taxable"],
        amount=D("0.0000"),
        fees=D("0.0001"),
        fx_rate=D("1.08500000"),
        currency="EUR",
        memo='say "hi", then\nleave',
        lot_selection="b1:2;b2",
    )
    TransactionFactory(
        account=odd,
        trade_date=date(2024, 4, 4),
        type="BUY",
        security=ledger["vti"],
        quantity=D("0.0000001"),
        price=D("-1E+2"),
        amount=D("100.0000"),
        memo="+1",
    )
    # when the CSV is streamed, and the same rows are written by the serializer and renderer
    from portfolios.api.renderers import CSVRenderer
    from portfolios.api.transactions import TransactionOutputSerializer
    from portfolios.selectors.transactions import transaction_list

    response = client_for(cast.owner).get(f"{URL}?format=csv")
    body = b"".join(response.streaming_content)
    rendered = CSVRenderer().render(
        TransactionOutputSerializer(transaction_list(household=cast.household_a), many=True).data
    )
    # then both are the same bytes
    assert body == rendered
    lines = body.decode().split("\r\n")
    # the split: ratio 2:1, the memo and the id neutralised with a leading '
    assert lines[3].endswith(",2:1,,,,'-s1,'@SUM(A1:A9),")
    # 1E-7 shares written out in full, the price -100 left a number
    assert f",VTI,{ledger['vti'].pk},0.0000001,-100,100,0," in lines[1]


def test_list_query_count_does_not_grow_with_rows(cast, ledger):
    client = client_for(cast.owner)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    before = count_queries()
    for day in range(1, 21):
        TransactionFactory(account=ledger["roth"], trade_date=date(2024, 5, day), amount=D(1))
    # membership, ledger state (never rebuilt here: no stored count), count, page of rows
    # (account, security, to_account joined)
    assert before == count_queries() == 4


def test_list_query_count_is_pinned(cast, ledger, django_assert_num_queries):
    client = client_for(cast.owner)
    with django_assert_num_queries(4):  # membership, ledger state, count, page
        client.get(URL)
    with django_assert_num_queries(4):  # membership, the account named, count, page
        client.get(f"{URL}?account=Taxable&symbol=VTI&start=2024-01-01")
    ledger_rebuild(household=cast.household_a)
    with django_assert_num_queries(3):  # the count is the rebuild's, read with its state
        client.get(URL)


def test_post_with_a_write_token_creates_the_transaction(cast, ledger):
    # given
    client, _ = token_client(cast.member, cast.household_a, scope="write")
    # when selling 4 of the 10 VTI held
    response = client.post(
        URL,
        {"date": "2024-04-02", "account": "Taxable", "type": "sell", "symbol": "vti",
         "quantity": "4", "price": "210", "fees": "0.5", "id": "s1", "memo": "trim"},
        format="json",
    )  # fmt: skip
    # then amount defaults to 4 x 210 = 840
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["type"], body["symbol"], body["quantity"], body["amount"]) == (
        "SELL", "VTI", "4", "840"
    )  # fmt: skip
    assert (body["external_id"], body["memo"], body["currency"]) == ("s1", "trim", "USD")
    stored = Transaction.objects.get(pk=body["id"])
    assert (stored.account, stored.amount, stored.fees) == (ledger["taxable"], D(840), D("0.5"))
    assert LedgerState.objects.get(household=cast.household_a).dirty_from == date(2024, 4, 2)


def test_post_by_a_member_session_with_account_id_and_json_numbers(cast, ledger):
    response = client_for(cast.member).post(
        URL,
        {"date": "2024-04-02", "account": ledger["roth"].pk, "type": "DEPOSIT", "amount": 250.75},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["account"], response.json()["amount"]) == ("Roth IRA", "250.75")


def test_post_with_a_read_token_or_as_viewer_is_403(cast, ledger):
    payload = {"date": "2024-04-02", "account": "Taxable", "type": "DEPOSIT", "amount": "5"}
    read_client, _ = token_client(cast.owner, cast.household_a, scope="read")
    assert read_client.post(URL, payload, format="json").status_code == 403
    assert client_for(cast.viewer).post(URL, payload, format="json").status_code == 403
    assert Transaction.objects.filter(trade_date=date(2024, 4, 2)).count() == 0


def test_anonymous_is_401(ledger, api_client):
    assert api_client.get(URL).status_code == 401
    assert api_client.post(URL, {}, format="json").status_code == 401


def test_invalid_post_is_400_naming_every_field(cast, ledger):
    response = client_for(cast.owner).post(
        URL,
        {"date": "2024/04/02", "account": "Taxable", "type": "BUY", "symbol": "VTI",
         "quantity": "-1", "price": "10", "income_class": "special"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input.",
        "errors": {
            "date": ["must be a date YYYY-MM-DD, got '2024/04/02'"],
            "quantity": ["must be a positive number, got '-1'"],
            "income_class": [
                "must be one of qualified, ordinary, return_of_capital, capital_gain, got 'special'"
            ],
        },
    }


def test_post_into_another_households_account_is_400_naming_account(cast, ledger):
    for account in ("Bravo Brokerage", ledger["bravo"].pk):
        response = client_for(cast.owner).post(
            URL, {"date": "2024-04-02", "account": account, "type": "DEPOSIT", "amount": "5"},
            format="json",
        )  # fmt: skip
        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["account"]
        assert "in this household" in response.json()["errors"]["account"][0]
    assert ledger["bravo"].transactions.count() == 1


def test_post_selling_more_than_held_is_400(cast, ledger):
    response = client_for(cast.owner).post(
        URL,
        {"date": "2024-04-02", "account": "Taxable", "type": "SELL", "symbol": "VTI",
         "quantity": "11", "price": "210"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["errors"] == {"quantity": ["SELL of 11 exceeds the 10 shares held"]}


def test_post_of_a_known_id_is_400_not_a_second_row(cast, ledger):
    response = client_for(cast.owner).post(
        URL,
        {"date": "2024-04-02", "account": "Taxable", "type": "DEPOSIT", "amount": "5",
         "id": "dep-1"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["id"]


def test_patch_recomputes_the_amount_from_a_new_price(cast, ledger):
    # when the buy's price changes from 200.5 to 201 without an amount
    response = client_for(cast.owner).patch(
        f"{URL}{ledger['buy'].pk}/", {"price": "201"}, format="json"
    )
    # then amount = 10 x 201 = 2010; fees and id stay
    assert response.status_code == 200, response.json()
    assert (response.json()["amount"], response.json()["fees"]) == ("2010", "1")
    ledger["buy"].refresh_from_db()
    assert (ledger["buy"].amount, ledger["buy"].external_id) == (D(2010), "b1")


def test_patch_and_delete_of_another_households_row_are_404(cast, ledger):
    client = client_for(cast.outsider)
    url = f"{URL}{ledger['buy'].pk}/"
    assert client.patch(url, {"price": "1"}, format="json").status_code == 404
    assert client.delete(url).status_code == 404
    assert client.get(url).status_code == 404


def test_delete_removes_a_row_unless_a_sale_needs_it(cast, ledger):
    client = client_for(cast.owner)
    TransactionFactory(
        account=ledger["taxable"], trade_date=date(2024, 5, 1), type="SELL",
        security=ledger["vti"], quantity=D(10), price=D(220), amount=D(2200), external_id="s9",
    )  # fmt: skip
    # when deleting the buy the May sale sells
    refused = client.delete(f"{URL}{ledger['buy'].pk}/")
    # then
    assert refused.status_code == 400
    assert "SELL of 10 exceeds the 0 shares held" in refused.json()["detail"]
    assert client.delete(f"{URL}{ledger['dividend'].pk}/").status_code == 204
    assert not Transaction.objects.filter(pk=ledger["dividend"].pk).exists()
    assert client_for(cast.viewer).delete(f"{URL}{ledger['deposit'].pk}/").status_code == 403
