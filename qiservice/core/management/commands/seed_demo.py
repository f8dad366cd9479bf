from django.core.management.base import BaseCommand

from qiservice.core import demo


class Command(BaseCommand):
    help = "Load the demo data (idempotent): districts, enterprises, institutions, specialists, one login per role."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="do nothing when the database already has users")
        parser.add_argument("--quiet-logins", action="store_true", help="do not print the demo logins")

    def handle(self, *args, if_empty=False, quiet_logins=False, **options):
        from qiservice.accounts.models import User

        if if_empty and User.objects.exists():
            self.stdout.write("demo data: the database already has users; nothing loaded.")
        else:
            demo.load(stdout=self.stdout)
        if not quiet_logins:
            self.stdout.write(f"\n演示账号 / demo logins (password: {demo.DEMO_PASSWORD})")
            for username, name, role, scope in demo.LOGINS:
                self.stdout.write(f"  {username:<14} {name}  {role.label}{'（' + scope + '）' if scope else ''}")
