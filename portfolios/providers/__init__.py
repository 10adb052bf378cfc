"""Price providers behind one interface, selected by settings.PRICE_PROVIDER."""

from importlib import import_module

from portfolios.providers.base import (
    Close,
    Dividend,
    FxClose,
    PriceProvider,
    ProviderError,
    SecurityDescription,
    Split,
)

PROVIDERS = {
    "demo": "portfolios.providers.demo.DemoProvider",
    "csv": "portfolios.providers.csv_folder.CsvFolderProvider",
    "yfinance": "portfolios.providers.yfinance.YFinanceProvider",
    "stooq": "portfolios.providers.stooq.StooqProvider",
}


def get_provider(name: str | None = None) -> PriceProvider:
    """Return an instance of the named provider (default: settings.PRICE_PROVIDER)."""
    from django.conf import settings

    name = name or settings.PRICE_PROVIDER
    try:
        dotted = PROVIDERS[name]
    except KeyError:
        raise ProviderError(
            f"unknown price provider {name!r}; choose one of {', '.join(PROVIDERS)}",
            permanent=True,
        ) from None
    module_name, class_name = dotted.rsplit(".", 1)
    return getattr(import_module(module_name), class_name)()


__all__ = [
    "PROVIDERS",
    "Close",
    "Dividend",
    "FxClose",
    "PriceProvider",
    "ProviderError",
    "SecurityDescription",
    "Split",
    "get_provider",
]
