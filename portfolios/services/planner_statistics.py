"""Fresh planner statistics after a bulk load, so the next query is planned for its real size.

PostgreSQL plans from the statistics ANALYZE gathers. Autovacuum gathers them eventually, and
not at all where it is switched off; until then a table that just grew from nothing to
millions of rows is planned as if it were empty (nested loops over 3.5M closes). The
PostgreSQL manual's advice for bulk loads is to run ANALYZE afterwards: the import services
do, once a load is big enough for the plans to change.
"""

from django.db import connection
from django.db.models import Model

BULK_ROWS = 100  # a few hundred rows from none already change plans (a seq scan per row)


def planner_statistics_refresh(*models: type[Model], rows: int) -> bool:
    """ANALYZE the tables of ``models`` on PostgreSQL after a load of ``rows`` rows; return
    whether it ran. ANALYZE samples a bounded number of rows, so it is quick at any size."""
    if rows < BULK_ROWS or connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return True
