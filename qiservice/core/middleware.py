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
