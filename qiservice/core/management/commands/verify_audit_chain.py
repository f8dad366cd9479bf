from django.core.management.base import BaseCommand, CommandError

from qiservice.core import audit_chain
from qiservice.core.models import AuditLog


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exits with an error at the first broken row."

    def handle(self, *args, **options):
        verdict = audit_chain.verify(AuditLog)
        if not verdict.ok:
            what = {"link": "its link to the previous row", "content": "its content"}[verdict.reason]
            raise CommandError(
                f"audit chain broken at row {verdict.broken_at} ({what} does not match)"
                f" after {verdict.checked} good rows"
            )
        self.stdout.write(f"audit chain intact: {verdict.checked} rows")
