from django.core.management import call_command

from qiservice.accounts.models import District, User
from qiservice.core.demo import DEMO_PASSWORD, LOGINS
from qiservice.core.validators import validate_credit_code
from qiservice.enterprises.models import Enterprise
from qiservice.institutions.models import Institution
from qiservice.specialists.models import Specialist


def test_demo_data_loads_once_and_is_idempotent(db, settings, capsys):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo")
    counts = (
        District.objects.count(),
        Enterprise.objects.count(),
        Institution.objects.count(),
        Specialist.objects.count(),
    )
    assert counts == (6, 50, 6, 20)
    call_command("seed_demo")
    call_command("seed_demo", "--if-empty")
    again = (
        District.objects.count(),
        Enterprise.objects.count(),
        Institution.objects.count(),
        Specialist.objects.count(),
    )
    assert again == counts
    out = capsys.readouterr().out
    assert "staff_jimei" in out and DEMO_PASSWORD in out
    assert sorted(District.objects.values_list("name", flat=True)) == sorted(
        ["思明区", "海沧区", "湖里区", "集美区", "同安区", "翔安区"]
    )
    for code in Enterprise.objects.values_list("credit_code", flat=True):
        validate_credit_code(code)
    assert set(Specialist.objects.values_list("status", flat=True)) == {"applicant", "active", "suspended", "retired"}


def test_every_demo_login_works_and_sees_its_own_home(db, settings, client):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", "--quiet-logins")
    for username, name, _role, _scope in LOGINS:
        assert client.login(username=username, password=DEMO_PASSWORD), username
        html = client.get("/", follow=True).content.decode()  # the enterprise lands on its portal
        assert name in html
        client.logout()
    officer = User.objects.get(username="staff_jimei")
    assert {e.district.name for e in Enterprise.objects.restrict(officer).select_related("district")} == {"集美区"}
