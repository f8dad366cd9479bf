import datetime

from django.core.management.base import BaseCommand, CommandError

from qiservice.core.synthetic import SCALES, Generator


class Command(BaseCommand):
    help = "Fill the database with synthetic data at a chosen scale (province, city, town) for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--scale", default="province", choices=sorted(SCALES))
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--today", help="the generator's 'today' (YYYY-MM-DD); default: today")
        parser.add_argument("--demands", type=int, help="override the scale's number of demands")

    def handle(self, *args, scale, seed, today, demands, **options):
        chosen = SCALES[scale]
        if demands:
            factor = demands / chosen.demands
            chosen = type(chosen)(
                demands=demands,
                enterprises=max(50, int(chosen.enterprises * factor)),
                specialists=max(20, int(chosen.specialists * factor)),
                institutions=chosen.institutions,
                ledger_entries=int(chosen.ledger_entries * factor),
                districts=chosen.districts,
                years=chosen.years,
            )
        try:
            day = datetime.date.fromisoformat(today) if today else None
        except ValueError as error:
            raise CommandError(f"--today: {error}") from error
        Generator(chosen, seed=seed, today=day, log=self.stdout.write).run()
