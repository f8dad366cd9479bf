from django.core.management.base import BaseCommand
from django.utils import timezone

from qiservice.deadlines.models import Holiday, calendar_cache_key


class Command(BaseCommand):
    help = "Seed the holiday table from the chinesecalendar package (idempotent; agency edits are kept)."

    def handle(self, *args, **options):
        import chinese_calendar

        chinese = {h.value: h.chinese for h in chinese_calendar.Holiday}
        created = 0
        for table, kind in ((chinese_calendar.holidays, "holiday"), (chinese_calendar.workdays, "workday")):
            for day, name in table.items():
                if day.year < 2020:
                    continue
                if kind == "holiday" and day.weekday() >= 5:
                    continue  # a weekend day off is no exception to the weekday rule
                _, was_created = Holiday.objects.get_or_create(
                    date=day, defaults={"kind": kind, "name": chinese.get(name, str(name)), "is_seeded": True}
                )
                created += was_created
        from django.core.cache import cache

        for year in range(2020, timezone.localdate().year + 3):
            cache.delete(calendar_cache_key(year))
        self.stdout.write(f"calendar: {created} days added, {Holiday.objects.count()} in the table")
