"""API authentication: browser session, or a Hearth token in a header or the query string."""

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from portfolios.models import ApiToken

TOKEN_QUERY_PARAM = "token"
# Spreadsheet functions (IMPORTDATA, Power Query) cannot send headers; a token in the URL
# lands in logs and histories, so only read tokens on safe methods are taken from there.
QUERY_TOKEN_METHODS = ("GET", "HEAD", "OPTIONS")


class TokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>`, or `?token=<key>` for read-scope tokens."""

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        from_query = False
        if header and header[0].lower() == self.keyword.lower():
            if len(header) != 2:
                raise exceptions.AuthenticationFailed("Malformed Authorization header.")
            raw_key = header[1]
        elif TOKEN_QUERY_PARAM in request.query_params:
            raw_key = request.query_params[TOKEN_QUERY_PARAM]
            from_query = True
        else:
            return None
        token = ApiToken.objects.for_key(raw_key)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        if from_query and (
            token.scope != ApiToken.Scope.READ or request.method not in QUERY_TOKEN_METHODS
        ):
            raise exceptions.AuthenticationFailed(
                "Only read-scope tokens may be passed in the query string."
            )
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.user, token

    def authenticate_header(self, request) -> str:
        return self.keyword


class HouseholdSessionAuthentication(authentication.SessionAuthentication):
    """Django's session, with CSRF enforced on unsafe methods (a browser is the CSRF target)."""


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """The header, or (read tokens, safe methods) the query string: either one."""

    target_class = "portfolios.api.authentication.TokenAuthentication"
    name = ["tokenAuth", "tokenQuery"]

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": 'Send "Token <key>".',
            },
            {
                "type": "apiKey",
                "in": "query",
                "name": TOKEN_QUERY_PARAM,
                "description": "A read-scope token, for spreadsheets that cannot send headers "
                "(GET only); never logged.",
            },
        ]

    def get_security_requirement(self, auto_schema):
        return [{"tokenAuth": []}, {"tokenQuery": []}]


class HouseholdSessionScheme(OpenApiAuthenticationExtension):
    target_class = "portfolios.api.authentication.HouseholdSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
