"""The database notes every write to Hearth's tables (``portfolios.services.data_changes``):
the pages keep their figures until the data changes. Installed here for an existing database;
``post_migrate`` adds the trigger to tables created later."""

from django.db import migrations


def install(apps, schema_editor):
    from portfolios.services.data_changes import change_log_install

    change_log_install(using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("portfolios", "0016_add_freshness_indexes")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
