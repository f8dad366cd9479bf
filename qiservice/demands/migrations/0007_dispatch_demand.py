"""Each dispatch keeps its escalation's demand (Dispatch.demand), filled from the escalations,
and the institutions' index covers it: the scope of an institution's staff reads the demand
ids from that index instead of joining every escalation."""

import django.db.models.deletion
from django.db import migrations, models

FILL = (
    "UPDATE demands_dispatch SET demand_id = "
    "(SELECT e.demand_id FROM demands_escalation e WHERE e.id = demands_dispatch.escalation_id)"
)


class Migration(migrations.Migration):
    dependencies = [
        ("demands", "0006_status_order_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="dispatch",
            name="demand",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="demands.demand",
            ),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="dispatch",
            name="demand",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="demands.demand",
            ),
        ),
        migrations.RemoveIndex(model_name="dispatch", name="dispatch_institution_status"),
        migrations.AddIndex(
            model_name="dispatch",
            index=models.Index(fields=["institution", "status", "demand"], name="dispatch_institution_demand"),
        ),
    ]
