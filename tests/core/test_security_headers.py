"""Browser-safety headers: a Content-Security-Policy without inline scripts on every response
(the access matrix checks every endpoint as every role: tests/test_access_matrix.py), the
frame and content-type headers, and the relaxed-but-same-origin policy of the API docs."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from qiservice.core.middleware import ContentSecurityPolicyMiddleware

STRICT = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def parse_csp(header):
    policy = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            policy[words[0]] = words[1:]
    return policy


def assert_no_inline_script(response):
    """The response carries a CSP whose scripts come from this origin's files only."""
    header = response.get(ContentSecurityPolicyMiddleware.HEADER)
    assert header, f"no Content-Security-Policy on {response.status_code} {response.get('Content-Type')}"
    policy = parse_csp(header)
    assert policy["script-src"] == ["'self'"] and policy["default-src"] == ["'self'"], header
    assert "'unsafe-eval'" not in header
    assert all("'unsafe-inline'" not in sources for name, sources in policy.items() if name != "style-src"), header
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    return policy


@pytest.mark.parametrize(
    "role", ["anonymous", "admin", "officer_jimei", "specialist", "institution_staff", "enterprise_user", "auditor"]
)
def test_every_kind_of_response_carries_the_strict_policy(world, login, role):
    client = login(None if role == "anonymous" else getattr(world.people, role))
    urls = [
        "/",
        "/login/",
        "/public/",
        "/portal/",
        "/enterprises/",
        f"/enterprises/{world.ent_jimei.pk}/",
        "/demands/",
        "/reports/",
        "/no-such-page/",  # 404
        "/api/me",  # JSON (401 for the anonymous)
        "/api/enterprises",
        "/static/core/app.css",  # served by WhiteNoise
    ]
    for url in urls:
        response = client.get(url)
        policy = assert_no_inline_script(response)
        assert policy == STRICT | {"font-src": ["'self'"], "connect-src": ["'self'"]}, url
        assert response["X-Content-Type-Options"] == "nosniff", url
        if not url.startswith("/static/"):  # WhiteNoise answers before the framing middleware
            assert response["X-Frame-Options"] == "DENY", url


def test_the_api_docs_run_under_the_same_strict_policy(world, login):
    """django-ninja's Swagger UI loads its code from files and its settings as JSON data, so
    it needs nothing more (tests/browser/test_csp.py renders it without a violation)."""
    response = login(world.people.admin).get("/api/docs")
    assert response.status_code == 200 and b"swagger-ui-bundle.js" in response.content
    policy = assert_no_inline_script(response)
    assert policy == STRICT | {"font-src": ["'self'"], "connect-src": ["'self'"]}
    assert b"<script>" not in response.content


def test_the_policy_is_written_from_the_settings(settings):
    settings.CONTENT_SECURITY_POLICY = {"default-src": ["'self'"], "frame-ancestors": ["'none'"]}
    middleware = ContentSecurityPolicyMiddleware(lambda request: HttpResponse("ok"))
    response = middleware(RequestFactory().get("/"))
    assert response["Content-Security-Policy"] == "default-src 'self'; frame-ancestors 'none'"


def test_templates_hold_no_inline_script_style_or_handler():
    """What the policy forbids is not written in the first place (so no page breaks)."""
    import re
    from pathlib import Path

    import qiservice

    root = Path(qiservice.__file__).parent
    bad = []
    for path in root.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"\son[a-z]+\s*=", r"\sstyle\s*=", r"<style", r"javascript:"):
            if re.search(pattern, text):
                bad.append((str(path.relative_to(root)), pattern))
    assert bad == []
