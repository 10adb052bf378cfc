"""The audit trail's recording service."""

from decimal import Decimal

import pytest
from django.test import RequestFactory, override_settings

from portfolios.models import AuditEvent
from portfolios.services.audit import audit_record, client_ip, field_changes


def _request(remote: str, forwarded: str = ""):
    request = RequestFactory().get("/", REMOTE_ADDR=remote)
    if forwarded:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return request


def test_client_ip_ignores_forwarded_for_without_trusted_proxies():
    # given a client that sends its own X-Forwarded-For straight to the app
    request = _request("203.0.113.9", forwarded="1.2.3.4")
    # then the socket's address is the client's
    assert client_ip(request) == "203.0.113.9"


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_client_ip_behind_one_proxy_takes_the_address_the_proxy_saw():
    # given a spoofed first entry and the proxy's appended real address
    request = _request("10.0.0.2", forwarded="1.2.3.4, 198.51.100.7")
    # then the entry added by the trusted proxy wins, not the client's own claim
    assert client_ip(request) == "198.51.100.7"


def test_field_changes_lists_only_what_differs():
    before = {"name": "Joint", "type": "taxable", "lot_method": "fifo"}
    after = {"name": "Joint brokerage", "type": "taxable", "lot_method": "hifo"}
    assert field_changes(before, after) == {
        "lot_method": ["fifo", "hifo"],
        "name": ["Joint", "Joint brokerage"],
    }


@pytest.mark.django_db
def test_audit_record_keeps_user_target_ip_and_json_safe_changes(cast):
    # given an owner's request editing the household policy
    request = _request("192.0.2.10")
    request.user = cast.owner
    # when the edit is recorded
    event = audit_record(
        action="household.update",
        household=cast.household_a,
        target=cast.household_a,
        request=request,
        changes={"monthly_income_target": [Decimal("0.0000"), Decimal("1500")]},
    )
    # then the row says who, what, where, and the old and new values as text
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.username == "alice"
    assert stored.user == cast.owner
    assert stored.ip == "192.0.2.10"
    assert stored.outcome == "ok"
    assert stored.target == f"household {cast.household_a.pk}: Alpha"
    assert stored.changes == {"monthly_income_target": ["0.0000", "1500"]}


@pytest.mark.django_db
def test_failed_login_is_recorded_without_a_user():
    event = audit_record(action="login", username="mallory", outcome=AuditEvent.Outcome.FAILED)
    assert event.user is None
    assert event.household is None
    assert event.username == "mallory"
