from django.core.management.base import BaseCommand

from qiservice.specialists import matching
from qiservice.specialists.models import Specialist


class Command(BaseCommand):
    help = "Recompute every specialist's matching tokens (after an import or a bulk load)."

    def handle(self, *args, **options):
        n = 0
        for specialist in Specialist.objects.iterator():
            Specialist.objects.filter(pk=specialist.pk).update(match_tokens=matching.document_tokens(specialist))
            n += 1
        matching.bump_index_version()
        self.stdout.write(f"matching index: {n} specialists")
