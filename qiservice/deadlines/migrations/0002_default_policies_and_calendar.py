from django.db import migrations

DEFAULT_POLICIES = {
    "registration": (2, 0),
    "preparation": (5, 1),
    "escalation": (3, 1),
    "dispatch_acceptance": (3, 1),
    "agreement": (10, 2),
    "summary": (5, 1),
    "evaluation": (10, 3),
}


def seed(apps, schema_editor):
    """Default time limits, and the 2020–2026 calendar from the chinesecalendar package."""
    import chinese_calendar

    Policy = apps.get_model("deadlines", "DeadlinePolicy")
    Holiday = apps.get_model("deadlines", "Holiday")
    for stage, (days, remind) in DEFAULT_POLICIES.items():
        Policy.objects.get_or_create(stage=stage, defaults={"working_days": days, "remind_days_before": remind})
    chinese = {h.value: h.chinese for h in chinese_calendar.Holiday}
    rows = []
    for table, kind in ((chinese_calendar.holidays, "holiday"), (chinese_calendar.workdays, "workday")):
        for day, name in table.items():
            if day.year < 2020 or (kind == "holiday" and day.weekday() >= 5):
                continue
            rows.append(Holiday(date=day, kind=kind, name=chinese.get(name, str(name)), is_seeded=True))
    existing = set(Holiday.objects.values_list("date", flat=True))
    Holiday.objects.bulk_create([r for r in rows if r.date not in existing])


class Migration(migrations.Migration):
    dependencies = [("deadlines", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
