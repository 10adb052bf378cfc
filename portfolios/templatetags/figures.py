"""``{% figures "name" %}…{% endfigures %}``: a page's rendered figures, kept until the data
changes.

The view puts ``figures_key`` in the context (``portfolios.remembered.figures_key``: the
household, the day, the page's options and the data's version); the block is rendered once
under it and served from the cache until a write. Without a ``figures_key`` the block is
simply rendered: a page that forgot its key is slower, never served another's figures. Only
figures go inside: no form with a CSRF token, no message, nothing of the request's user.
"""

from django import template
from django.core.cache import cache

from portfolios.remembered import KEPT_SECONDS

register = template.Library()


class FiguresNode(template.Node):
    def __init__(self, nodelist: template.NodeList, name: str):
        self.nodelist = nodelist
        self.name = name

    def render(self, context) -> str:
        key = context.get("figures_key")
        if not key:
            return self.nodelist.render(context)
        cache_key = f"fragment:{self.name}:{key}"
        html = cache.get(cache_key)
        if html is None:
            html = self.nodelist.render(context)
            cache.set(cache_key, html, KEPT_SECONDS)
        return html


@register.tag("figures")
def do_figures(parser, token) -> FiguresNode:
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError('usage: {% figures "name" %}…{% endfigures %}')
    nodelist = parser.parse(("endfigures",))
    parser.delete_first_token()
    return FiguresNode(nodelist, bits[1][1:-1])
