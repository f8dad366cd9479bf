from django.core.management.base import BaseCommand, CommandError

from qiservice.reports import counters


class Command(BaseCommand):
    help = (
        "Compare the dashboard's counters (kept by database triggers) with a recount from the "
        "records; --repair rebuilds them from the records."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="rebuild the counters from the records")

    def handle(self, *args, repair=False, **options):
        if repair:
            counters.install()
            counters.rebuild()
        wrong = counters.check()
        for table, rows in wrong.items():
            for key, held, counted in rows[:20]:
                self.stderr.write(f"{table} {key}: stored {held}, counted {counted}")
        if wrong:
            raise CommandError(f"counters differ from the records in {', '.join(wrong)}; run with --repair")
        self.stdout.write("counters match the records")
