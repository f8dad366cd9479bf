"""The month tables' whole-city rows (counters.CITY). No schema change: the triggers are put in
anew and the counters recounted after this migration, as after every migrate that runs one
(apps.after_migrate), which fills the new rows and keeps them from then on."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_month_counts"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop, elidable=False),
    ]
