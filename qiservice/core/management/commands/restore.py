from django.core.management.base import BaseCommand, CommandError

from qiservice.core.backup import BackupError, read_manifest, restore_backup


class Command(BaseCommand):
    help = "Replace the database and the uploaded files with a backup archive's (see `backup`)."

    def add_arguments(self, parser):
        parser.add_argument("archive")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args, archive, yes, **options):
        try:
            manifest = read_manifest(archive)
        except (OSError, KeyError, ValueError) as error:
            raise CommandError(f"not a backup archive: {error}") from error
        if not yes:
            answer = input(
                f"Replace ALL data with the backup of {manifest['created_at']} ({manifest['engine']})? Type 'yes': "
            )
            if answer.strip() != "yes":
                raise CommandError("restore cancelled")
        try:
            restore_backup(archive)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"restored the backup of {manifest['created_at']}")
