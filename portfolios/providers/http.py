"""One HTTP GET for the network providers, mapping failures onto ProviderError.

Standard library only (`urllib.request`). The mapping decides what Celery retries:

- 404 and 410: the symbol does not exist there, retrying will not help (permanent).
- 429, 5xx, timeouts, refused or reset connections, DNS failures: worth a retry later.
- Other 4xx: the request itself is wrong (permanent).
"""

import urllib.error
import urllib.parse
import urllib.request

from portfolios.providers.base import ProviderError

TIMEOUT_SECONDS = 20
# Yahoo answers 429 to urllib's default agent; a plain browser-like agent is accepted.
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) Hearth/1.0 (+https://github.com/)"
PERMANENT_STATUSES = frozenset({400, 401, 403, 404, 410, 422})


def fetch_url(url: str, *, symbol: str | None = None, timeout: float | None = None) -> bytes:
    """Return the body of a GET on url, or raise ProviderError (permanent or transient).

    ``timeout`` (default TIMEOUT_SECONDS) bounds the connection and each read.
    """
    timeout = timeout or TIMEOUT_SECONDS
    request = urllib.request.Request(
        url, headers={"User-Agent": USER_AGENT, "Accept": "application/json,text/csv,*/*"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        permanent = exc.code in PERMANENT_STATUSES
        raise ProviderError(
            f"HTTP {exc.code} from {_host(url)}", permanent=permanent, symbol=symbol
        ) from exc
    except TimeoutError as exc:
        raise ProviderError(f"timeout from {_host(url)}", symbol=symbol) from exc
    except urllib.error.URLError as exc:
        raise ProviderError(f"{_host(url)} unreachable: {exc.reason}", symbol=symbol) from exc
    except (ConnectionError, OSError) as exc:
        raise ProviderError(f"{_host(url)} connection failed: {exc}", symbol=symbol) from exc


def _host(url: str) -> str:
    return urllib.parse.urlparse(url).netloc or url
