from django.core.management.base import BaseCommand
from django.db import transaction

from qiservice.demands import search


class Command(BaseCommand):
    help = "Recompute every demand's keyword-search terms (after rows were written by SQL, not by the workflow)."

    def handle(self, *args, **options):
        with transaction.atomic():
            n = search.rebuild(log=lambda done: self.stdout.write(f"  {done} demands"))
        self.stdout.write(f"search index: {n} demands")
