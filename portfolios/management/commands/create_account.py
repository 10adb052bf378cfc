from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from portfolios.models import Account, Household
from portfolios.models.household import LotMethod
from portfolios.services.households import account_create


class Command(BaseCommand):
    help = "Create an account in a household."

    def add_arguments(self, parser):
        parser.add_argument("--household", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--type", required=True, choices=Account.Type.values)
        parser.add_argument("--institution", default="")
        parser.add_argument("--lot-method", choices=LotMethod.values)
        parser.add_argument("--currency")
        parser.add_argument("--number", default="")
        parser.add_argument("--owner", help="username of the member who owns it")

    def handle(self, *args, **options):
        try:
            household = Household.objects.get(name=options["household"])
        except Household.DoesNotExist:
            raise CommandError(f"no household named {options['household']!r}") from None
        owner = None
        if options["owner"]:
            membership = household.memberships.filter(user__username=options["owner"]).first()
            if membership is None:
                raise CommandError(f"{options['owner']!r} is not a member of {household.name}")
            owner = membership.user
        try:
            account = account_create(
                household=household,
                name=options["name"],
                type=options["type"],
                institution=options["institution"],
                lot_method=options["lot_method"],
                currency=options["currency"],
                number=options["number"],
                owner=owner,
            )
        except ValidationError as exc:
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            raise CommandError(problems) from None
        self.stdout.write(f"created account {account.name} (id {account.pk}) in {household.name}")
