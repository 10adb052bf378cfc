from portfolios.models.audit import AuditEvent
from portfolios.models.base import TimeStampedModel
from portfolios.models.classification import SecurityProfile
from portfolios.models.household import (
    Account,
    Household,
    IdentityGroup,
    Membership,
    Sleeve,
    Target,
)
from portfolios.models.ledger import ImportBatch, Transaction
from portfolios.models.lots import LedgerState, LotRelief, TaxLot
from portfolios.models.market import DividendEvent, FxRate, Price, Security, SplitEvent
from portfolios.models.rebalancing import AccountTradingRule, RebalancePolicy, Replacement
from portfolios.models.tokens import ApiToken

__all__ = [
    "Account",
    "AccountTradingRule",
    "ApiToken",
    "AuditEvent",
    "DividendEvent",
    "FxRate",
    "Household",
    "IdentityGroup",
    "ImportBatch",
    "LedgerState",
    "LotRelief",
    "Membership",
    "Price",
    "RebalancePolicy",
    "Replacement",
    "Security",
    "SecurityProfile",
    "Sleeve",
    "SplitEvent",
    "Target",
    "TaxLot",
    "TimeStampedModel",
    "Transaction",
]
