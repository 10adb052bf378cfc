from allauth.account.adapter import DefaultAccountAdapter

from portfolios.security.login import LoginThrottleAdapterMixin


class InviteOnlyAccountAdapter(LoginThrottleAdapterMixin, DefaultAccountAdapter):
    """Households are private: owners add members; nobody signs up from the street."""

    def is_open_for_signup(self, request) -> bool:
        return False
