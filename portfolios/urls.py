from django.urls import path

from portfolios.views import allocation, households, imports, ledger, transactions

urlpatterns = [
    path("households/switch/", households.household_switch, name="household-switch"),
    path("portfolio/holdings/", ledger.holdings_page, name="holdings"),
    path(
        "portfolio/holdings/<int:security_pk>/lots/",
        ledger.position_lots_page,
        name="position-lots",
    ),
    path("portfolio/allocation/", allocation.allocation_page, name="allocation-page"),
    path(
        "portfolio/allocation/settings/",
        allocation.rebalancing_settings_page,
        name="rebalancing-settings",
    ),
    path("portfolio/gains/", ledger.realized_gains_page, name="realized-gains-page"),
    path("portfolio/transactions/", transactions.transaction_list_page, name="transaction-list"),
    path(
        "portfolio/transactions/<int:pk>/edit/",
        transactions.transaction_edit,
        name="transaction-edit",
    ),
    path(
        "portfolio/transactions/<int:pk>/delete/",
        transactions.transaction_delete_page,
        name="transaction-delete",
    ),
    path("portfolio/imports/", imports.import_upload, name="import-upload"),
    path("portfolio/imports/<int:pk>/", imports.import_detail, name="import-detail"),
    path("portfolio/imports/<int:pk>/confirm/", imports.import_confirm, name="import-confirm"),
]
