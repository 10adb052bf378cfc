"""Routes of the settings pages (/settings/) and of the invitation link (/invite/)."""

from django.urls import path

from portfolios.views.settings import (
    accounts,
    audit,
    household,
    members,
    overview,
    securities,
    targets,
    tokens,
)

urlpatterns = [
    path("settings/", overview.settings_index, name="settings"),
    path("settings/start/", overview.settings_start, name="settings-start"),
    path("settings/household/", household.household_settings, name="settings-household"),
    path("settings/accounts/", accounts.accounts_settings, name="settings-accounts"),
    path("settings/accounts/<int:pk>/", accounts.account_edit, name="settings-account-edit"),
    path(
        "settings/accounts/<int:pk>/close/",
        accounts.account_close_view,
        name="settings-account-close",
    ),
    path(
        "settings/accounts/<int:pk>/delete/",
        accounts.account_delete_view,
        name="settings-account-delete",
    ),
    path("settings/securities/", securities.securities_settings, name="settings-securities"),
    path("settings/securities/bulk/", securities.securities_bulk, name="settings-securities-bulk"),
    path(
        "settings/securities/import/",
        securities.securities_upload,
        name="settings-securities-import",
    ),
    path(
        "settings/securities/lookup/",
        securities.securities_lookup,
        name="settings-securities-lookup",
    ),
    path("settings/securities/<int:pk>/", securities.security_edit, name="settings-security-edit"),
    path(
        "settings/securities/<int:pk>/lookup/",
        securities.securities_lookup,
        name="settings-security-lookup",
    ),
    path("settings/targets/", targets.targets_settings, name="settings-targets"),
    path("settings/targets/preview/", targets.targets_preview, name="settings-targets-preview"),
    path("settings/members/", members.members_settings, name="settings-members"),
    path("settings/members/<int:pk>/role/", members.member_role, name="settings-member-role"),
    path(
        "settings/members/<int:pk>/remove/",
        members.member_remove_view,
        name="settings-member-remove",
    ),
    path("settings/members/<int:pk>/renew/", members.member_renew, name="settings-member-renew"),
    path("settings/tokens/", tokens.tokens_settings, name="settings-tokens"),
    path("settings/tokens/<int:pk>/revoke/", tokens.token_revoke, name="settings-token-revoke"),
    path("settings/audit/", audit.audit_page, name="settings-audit"),
    path("invite/<str:uidb64>/<str:token>/", members.invite_accept_page, name="invite-accept"),
]
