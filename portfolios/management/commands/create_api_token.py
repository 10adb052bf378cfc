from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portfolios.models import ApiToken
from portfolios.services.audit import audit_record
from portfolios.services.households import api_token_create


class Command(BaseCommand):
    help = "Issue an API token; the token is printed once, alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("user")
        parser.add_argument("--household", help="household name (default: the user's only one)")
        parser.add_argument("--scope", choices=ApiToken.Scope.values, default=ApiToken.Scope.READ)
        parser.add_argument("--name", default="spreadsheet")
        parser.add_argument("--expires-days", type=int, help="expire after this many days")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"no user {options['user']!r}")
        memberships = user.memberships.select_related("household")
        if options["household"]:
            memberships = memberships.filter(household__name=options["household"])
        memberships = list(memberships)
        if not memberships:
            raise CommandError(f"{user.username} is not a member of that household")
        if len(memberships) > 1:
            names = ", ".join(m.household.name for m in memberships)
            raise CommandError(
                f"{user.username} belongs to several households ({names}); pass --household"
            )
        membership = memberships[0]
        if options["scope"] == ApiToken.Scope.WRITE and not membership.can_write:
            raise CommandError(
                f"{user.username} is a viewer of {membership.household.name}: read tokens only"
            )
        expires_at = None
        if options["expires_days"]:
            expires_at = timezone.now() + timedelta(days=options["expires_days"])
        issued = api_token_create(
            user=user,
            household=membership.household,
            name=options["name"],
            scope=options["scope"],
            expires_at=expires_at,
        )
        audit_record(
            action="token.create",
            household=membership.household,
            user=user,
            target=issued.token,
            changes={
                "scope": [None, options["scope"]],
                "expires_at": [None, expires_at.isoformat() if expires_at else "never"],
                "by": [None, "create_api_token command"],
            },
        )
        self.stdout.write(
            f"{options['scope']} token {issued.token.prefix} for {user.username} "
            f"in {membership.household.name}; it is shown only now:"
        )
        self.stdout.write(issued.raw_key)
