"""Response headers every page and API answer carries."""

from django.utils.cache import add_never_cache_headers, patch_cache_control


class NoStoreMiddleware:
    """``Cache-Control: no-store`` (and private, no-cache) on every response it sees.

    Placed after WhiteNoise, so static files keep their long-lived caching; everything else
    here is a household's data or a form for it, which no browser or proxy may keep.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        patch_cache_control(response, private=True, no_store=True)
        return response
