from .audit import request_context


class AuditContextMiddleware:
    """Makes the requesting user and address available to the audit log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_context.set((getattr(request, "user", None), request.META.get("REMOTE_ADDR")))
        try:
            return self.get_response(request)
        finally:
            request_context.reset(token)


class LanguageMiddleware:
    """zh-Hans unless the user chose another language with the switch (its cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a Chinese
    office PC with an English browser would get a half-English UI; the platform is
    Chinese first, and English is an explicit choice.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


def csp_header(policy):
    """A Content-Security-Policy header value from {directive: [sources]}."""
    return "; ".join(f"{name} {' '.join(sources)}".strip() for name, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    """Content-Security-Policy on every response (等保 2.0 / ASVS V14.4): scripts and styles
    from this origin's files only, no inline script, no eval, no framing, forms posted back
    to the origin (`CONTENT_SECURITY_POLICY`). Django's admin and django-ninja's Swagger UI
    (/api/docs) run under it unchanged: both load their code from files.

    Written here rather than with django-csp: the policy is one static header, with no
    nonces, per-view decorators or report endpoint to manage."""

    HEADER = "Content-Security-Policy"

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.debug = settings.DEBUG
        self.policy = csp_header(settings.CONTENT_SECURITY_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        if self.HEADER in response:
            return response
        if self.debug and response.status_code >= 400 and _is_technical(response):
            return response  # DEBUG's error pages style themselves inline (local runs only)
        response[self.HEADER] = self.policy
        return response


def _is_technical(response):
    """Django's DEBUG error pages (technical 404/500), which carry inline styles and scripts."""
    content = getattr(response, "content", b"") if not getattr(response, "streaming", False) else b""
    return b'<meta name="robots" content="NONE,NOARCHIVE">' in content[:2000]
