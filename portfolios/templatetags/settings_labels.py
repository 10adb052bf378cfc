"""People's words for what the settings pages show: audit actions and their changes."""

from django import template

from portfolios import formatting

register = template.Library()

ACTION_LABELS = {
    "household": "Household",
    "household.update": "Household settings changed",
    "account": "Accounts",
    "account.create": "Account created",
    "account.update": "Account changed",
    "account.close": "Account closed",
    "account.reopen": "Account reopened",
    "account.delete": "Account deleted",
    "security": "Securities",
    "security.classify": "Security classified",
    "security.import": "Security classified from a file",
    "securities": "Securities files",
    "securities.import": "Securities file imported",
    "targets": "Targets",
    "targets.update": "Sleeves and targets changed",
    "member": "Members",
    "member.invite": "Member invited",
    "member.invite_renew": "New invitation link",
    "member.join": "Member chose a password",
    "member.role": "Role changed",
    "member.remove": "Member removed",
    "token": "API tokens",
    "token.create": "API token created",
    "token.revoke": "API token revoked",
    "login": "Logins",
    "mfa": "Two-factor authentication",
    "import": "Imports",
    "transaction": "Transactions",
}


@register.filter
def action_label(action: str) -> str:
    """Return an audit action in words ("token.create" -> "API token created")."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    return action.replace(".", " ").replace("_", " ").capitalize()


@register.filter
def change_pairs(changes) -> list[tuple[str, object, object]]:
    """Return an audit event's ``{field: [old, new]}`` as (field in words, old, new)."""
    pairs = []
    if not isinstance(changes, dict):
        return pairs
    for field, value in changes.items():
        old, new = [*value, None, None][:2] if isinstance(value, list) else (None, value)
        pairs.append((str(field).replace("_", " "), old, new))
    return pairs


@register.filter
def status_label(status: str) -> str:
    """Return an allocation status in words ("over" → "Over target")."""
    return formatting.band_status_label(status)


@register.filter
def asset_class_label(code: str) -> str:
    """Return an asset class in words ("us_equity" → "US equity")."""
    return formatting.asset_class_label(code)


@register.filter
def role_label(role: str) -> str:
    from portfolios.models import Membership

    return Membership.Role(role).label if role in Membership.Role.values else role


@register.filter
def plain_number(value) -> str:
    """Return a Decimal without trailing zeros ("0.0300" -> "0.03"); "" for None."""
    from portfolios.api.fields import decimal_string

    return "" if value is None else decimal_string(value)
