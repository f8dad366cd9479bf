import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
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


class SessionActivityMiddleware:
    """The inactivity timeout without a session write on every request.

    A signed-in session ends `SESSION_COOKIE_AGE` seconds after it was last saved (the row's
    expiry and the cookie's max-age are both set when it is saved). Django's
    SESSION_SAVE_EVERY_REQUEST would save it on every request: a write transaction per page
    view, and on SQLite one writer at a time for the whole site. Instead the session keeps when
    it was last refreshed, and a request saves it again only once that is at least
    `SESSION_ACTIVITY_SECONDS` old (or when the request changed the session anyway). A session
    therefore ends between SESSION_COOKIE_AGE − SESSION_ACTIVITY_SECONDS and SESSION_COOKIE_AGE
    after the user's last request. Sessions without a signed-in user are left alone (an
    anonymous visitor gets no session row from this).

    Sits right after SessionMiddleware, so that it sees the session as the view left it."""

    KEY = "_qi_active_at"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or not session.accessed or SESSION_KEY not in session:
            return response  # not read by this request (static files, API tokens) or nobody signed in
        now = int(time.time())
        if session.modified or now - session.get(self.KEY, 0) >= settings.SESSION_ACTIVITY_SECONDS:
            session[self.KEY] = now
        return response
