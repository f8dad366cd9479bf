from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from qiservice.core.backup import create_backup


class Command(BaseCommand):
    help = "Write a consistent backup (database and uploaded files) to one .tar.gz archive."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="the archive's path (default: var/backups/qiservice-<time>.tar.gz)")

    def handle(self, *args, output, **options):
        if not output:
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
            output = settings.VAR_DIR / "backups" / f"qiservice-{stamp}.tar.gz"
        manifest = create_backup(output)
        rows = sum(manifest["rows"].values())
        self.stdout.write(f"backup written to {output}: {rows} rows, {len(manifest['files']) - 1} files")
