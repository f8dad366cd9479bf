"""Access matrix rows of the login controls: the TOTP login step, each user's own security
pages, and the agency's security page (issue 10, tests in tests/accounts/)."""

from .common import table

UI = [
    # Without a password step behind it, the TOTP step sends everyone back to the login page
    # (which sends a signed-in user home).
    ("GET", "/login/totp/", table(302)),
    ("GET", "/admin/login/", table(302)),
    ("GET", "/account/", table(200)),
    # The outsider has an authenticator already (objects() below): sent to the account page.
    ("GET", "/account/totp/", table(200, outsider=302)),
    # Posted without the password: back to the account page with a message.
    ("POST", "/account/totp/disable/", table(302)),
    ("GET", "/account/history/", table(200)),
    ("GET", "/security/", table(403, admin=200, auditor=200)),
    # Another user's security page and history: hidden from all but the admin and the auditor.
    ("GET", "/security/users/{totp_user}/", table(404, admin=200, auditor=200)),
    ("POST", "/security/users/{totp_user}/reset-totp/", table(404, admin=302, auditor=403)),
    ("POST", "/security/locks/{lock}/unlock/", table(404, admin=302, auditor=403)),
]


def objects(world):
    from datetime import timedelta

    from django.utils import timezone

    from qiservice.accounts import totp
    from qiservice.accounts.models import LockKind, LoginThrottle, TotpDevice

    user = world.people.outsider
    TotpDevice.objects.create(user=user, secret=totp.encrypt(totp.new_secret()))
    lock = LoginThrottle.objects.create(
        kind=LockKind.ACCOUNT, key=user.username, failures=5, locked_until=timezone.now() + timedelta(minutes=15)
    )
    return {"totp_user": user.pk, "lock": lock.pk}
