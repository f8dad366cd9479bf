from django.shortcuts import redirect
from django.urls import reverse

from . import security

# What a user who must first change the password (or enrol a TOTP authenticator) may
# still open: the page that does it, the other one, logging out and the language switch.
ALLOWED = ("password_change", "totp_setup", "logout", "set_language", "javascript-catalog")


class AccountSecurityMiddleware:
    """A signed-in user whose password has expired is sent to the password change page,
    and an agency admin without TOTP (when TOTP_REQUIRED_FOR_ADMINS) to the enrolment
    page, until that is done. API calls with the session are refused (SessionAuth reads
    `request.account_block`); API tokens are not affected."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._allowed = None

    def allowed_paths(self):
        if self._allowed is None:
            self._allowed = {reverse(name) for name in ALLOWED}
        return self._allowed

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            block = security.pending_action(user)
            request.account_block = block
            if block and not request.path.startswith("/api/") and request.path not in self.allowed_paths():
                return redirect("password_change" if block == security.PASSWORD_EXPIRED else "totp_setup")
        return self.get_response(request)
