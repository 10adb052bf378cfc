"""Income projection: the payments expected over the next months (DESIGN §7)."""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal

from income.calculations.dividend_schedule import dividend_schedule
from income.calculations.months import add_months, first_of_month, last_of_month, month_starts
from income.calculations.types import (
    PREFERRED_KIND,
    DividendEventInput,
    HoldingInput,
    IncomeSource,
    PaymentStatus,
    ProjectedPayment,
    ReceivedIncome,
)
from portfolios.fields import quantize_cents

ZERO = Decimal(0)


def projection_months(*, today: date, months: int = 12) -> list[date]:
    """Return the first days of the projection window's months: today's month and the next."""
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    return month_starts(today, months)


def project_income(
    *,
    today: date,
    holdings: Sequence[HoldingInput],
    dividend_events: Sequence[DividendEventInput],
    cash_balances: Mapping[int, Decimal] | None = None,
    cash_rate: Decimal | None = None,
    option_premium_history: Sequence[ReceivedIncome] = (),
    include_option_premium: bool = False,
    months: int = 12,
) -> list[ProjectedPayment]:
    """Return every payment expected from `today` to the end of the window, in date order.

    1. The window is [today, last day of the `months`-th month], counting today's month as
       the first: `months=12` on 10 April 2025 runs to 31 March 2026. Today is included, so a
       projection kept on the first of a month (for reliability) holds that day's payments.
       Payments due earlier this month are past: they are received income, not projection.
    2. Dividends, per holding with a positive quantity: the security's schedule
       (`dividend_schedule`: declared events, else the last 12 months' pay dates with the
       latest amount per share) times the current quantity, rounded to the cent. A declared
       dividend whose ex-date has passed counts only if the position was acquired before the
       ex-date; current shares stand in for the shares held on the ex-date, so a position
       sold after the ex-date but before the pay date is missed. Source: preferred stock →
       `preferred_dividend`, otherwise `qualified_dividend` or `ordinary_dividend` from the
       security's qualified default.
    3. Bonds (`_bond_payments`): coupons from the coupon terms, and the face value at
       maturity as `bond_principal`, which `monthly_totals` leaves out of income.
    4. Cash interest (`_cash_interest`), only with a `cash_rate`; option premium
       (`_option_premium`), only with `include_option_premium`.
    5. Sort by pay date, account, symbol and source, so the same inputs give the same list.
    """
    window = projection_months(today=today, months=months)
    window_end = last_of_month(window[-1])
    events_by_security: dict[int, list[DividendEventInput]] = defaultdict(list)
    for event in dividend_events:
        events_by_security[event.security_id].append(event)

    payments: list[ProjectedPayment] = []
    for holding in holdings:
        if holding.quantity <= 0:
            continue
        payments += _dividend_payments(
            holding, events_by_security.get(holding.security_id, []), today, window_end
        )
        payments += _bond_payments(holding, today, window_end)
    if cash_balances and cash_rate:
        payments += _cash_interest(cash_balances, cash_rate, window)
    if include_option_premium:
        payments += _option_premium(option_premium_history, today, window)
    return sorted(
        payments,
        key=lambda payment: (
            payment.pay_date,
            payment.account_id,
            payment.symbol,
            payment.source,
            payment.security_id or 0,
        ),
    )


def monthly_totals(
    payments: Iterable[ProjectedPayment], months: Sequence[date]
) -> list[tuple[date, Decimal]]:
    """Return each of `months` (first days) with its projected income, bond principal excluded.

    Months without payments get zero; payments outside `months` are ignored.
    """
    totals = dict.fromkeys(months, ZERO)
    for payment in payments:
        if payment.source != IncomeSource.BOND_PRINCIPAL and payment.month in totals:
            totals[payment.month] += payment.amount
    return list(totals.items())


def _dividend_payments(
    holding: HoldingInput,
    events: Sequence[DividendEventInput],
    today: date,
    window_end: date,
) -> list[ProjectedPayment]:
    """Return the dividends one holding is expected to receive in the window."""
    schedule = dividend_schedule(
        events, frequency=holding.dividend_frequency, today=today, window_end=window_end
    )
    if holding.kind == PREFERRED_KIND:
        source = IncomeSource.PREFERRED_DIVIDEND
    elif holding.qualified_default:
        source = IncomeSource.QUALIFIED_DIVIDEND
    else:
        source = IncomeSource.ORDINARY_DIVIDEND
    return [
        _payment(
            holding,
            pay_date=dividend.pay_date,
            ex_date=dividend.ex_date,
            source=source,
            amount=dividend.amount_per_share * holding.quantity,
            status=dividend.status,
        )
        for dividend in schedule
        if not _bought_on_or_after_ex_date(holding, dividend.ex_date)
    ]


def _bought_on_or_after_ex_date(holding: HoldingInput, ex_date: date | None) -> bool:
    """Return whether the position was opened too late for a dividend with this ex-date."""
    return ex_date is not None and holding.acquired is not None and holding.acquired >= ex_date


def _bond_payments(holding: HoldingInput, today: date, window_end: date) -> list[ProjectedPayment]:
    """Return a bond holding's coupons and principal in the window.

    1. Without a face value and a maturity, or once matured, there is nothing to project.
    2. Coupon = coupon rate * face value * quantity / coupon frequency, paid on the maturity
       date and every 12 / frequency months before it (stepped back from maturity, so a bond
       maturing on the 15th pays on the 15th). Zero-coupon bonds pay no coupons.
    3. The principal, face value * quantity, is paid on the maturity date when it falls in
       the window, as `bond_principal`.
    Coupons and principal are fixed by the bond's terms, so they are `declared`.
    """
    face_value, maturity = holding.face_value, holding.maturity
    if face_value is None or maturity is None or maturity < today:
        return []
    payments = []
    coupon_rate, frequency = holding.coupon_rate, holding.coupon_frequency
    if coupon_rate and frequency:
        if 12 % frequency:
            raise ValueError(f"{holding.symbol}: coupon frequency {frequency} does not divide 12")
        coupon = coupon_rate * face_value * holding.quantity / frequency
        step = 0
        while (pay_date := add_months(maturity, -(12 // frequency) * step)) >= today:
            if pay_date <= window_end:
                payments.append(
                    _payment(
                        holding,
                        pay_date=pay_date,
                        source=IncomeSource.BOND_COUPON,
                        amount=coupon,
                        status=PaymentStatus.DECLARED,
                    )
                )
            step += 1
    if maturity <= window_end:
        payments.append(
            _payment(
                holding,
                pay_date=maturity,
                source=IncomeSource.BOND_PRINCIPAL,
                amount=face_value * holding.quantity,
                status=PaymentStatus.DECLARED,
            )
        )
    return payments


def _cash_interest(
    cash_balances: Mapping[int, Decimal], cash_rate: Decimal, window: Sequence[date]
) -> list[ProjectedPayment]:
    """Return interest on each account's cash: balance * annual rate / 12, at each month end.

    The balance is held flat (no compounding, no spending). A negative balance is a margin
    loan, whose interest is a cost, not income, so it is skipped.
    """
    return [
        _unattributed_payment(
            account_id=account_id,
            pay_date=last_of_month(month),
            source=IncomeSource.INTEREST,
            amount=balance * cash_rate / 12,
        )
        for account_id, balance in sorted(cash_balances.items())
        if balance > 0
        for month in window
    ]


def _option_premium(
    history: Sequence[ReceivedIncome], today: date, window: Sequence[date]
) -> list[ProjectedPayment]:
    """Return each account's trailing-12-month average option premium, at each month end.

    The premium received in (today - 12 months, today], divided by 12, is expected every
    month: writing calls is a habit, not a schedule, so only the average is meaningful.
    """
    history_start = add_months(today, -12)
    premium_by_account: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for payment in history:
        if history_start < payment.pay_date <= today:
            premium_by_account[payment.account_id] += payment.amount
    return [
        _unattributed_payment(
            account_id=account_id,
            pay_date=last_of_month(month),
            source=IncomeSource.OPTION_PREMIUM,
            amount=total / 12,
        )
        for account_id, total in sorted(premium_by_account.items())
        if total > 0
        for month in window
    ]


def _payment(
    holding: HoldingInput,
    *,
    pay_date: date,
    source: IncomeSource,
    amount: Decimal,
    status: PaymentStatus,
    ex_date: date | None = None,
) -> ProjectedPayment:
    """Return a projected payment of one holding, its amount rounded to the cent."""
    return ProjectedPayment(
        month=first_of_month(pay_date),
        pay_date=pay_date,
        ex_date=ex_date,
        account_id=holding.account_id,
        security_id=holding.security_id,
        symbol=holding.symbol,
        source=source,
        amount=quantize_cents(amount),
        status=status,
    )


def _unattributed_payment(
    *, account_id: int, pay_date: date, source: IncomeSource, amount: Decimal
) -> ProjectedPayment:
    """Return an estimated payment of an account with no security behind it."""
    return ProjectedPayment(
        month=first_of_month(pay_date),
        pay_date=pay_date,
        ex_date=None,
        account_id=account_id,
        security_id=None,
        symbol="",
        source=source,
        amount=quantize_cents(amount),
        status=PaymentStatus.ESTIMATED,
    )
