"""TOTP second factor (RFC 6238, 30-second steps, 6 digits) through pyotp.

Secrets are encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256) under a key derived
from TOTP_ENCRYPTION_KEY, or SECRET_KEY when that is not set. A code is accepted for the
current step or one step either side (clock drift), and only for a step later than the last
accepted one, so a code cannot be replayed.
"""

import base64
import hashlib
import hmac
import io

import pyotp
import qrcode
import qrcode.image.svg
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.utils import timezone

DRIFT_STEPS = 1


def _fernet():
    material = settings.TOTP_ENCRYPTION_KEY or settings.SECRET_KEY
    key = hashlib.sha256(b"qiservice.totp:" + material.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(secret):
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(token):
    """The secret, or None when it cannot be read (the key changed): the admin resets it."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def new_secret():
    return pyotp.random_base32()


def provisioning_uri(secret, user):
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=settings.TOTP_ISSUER)


def qr_svg(uri):
    """The otpauth:// URI as an inline SVG (no script, no external request)."""
    image = qrcode.make(
        uri,
        image_factory=qrcode.image.svg.SvgPathFillImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=8,
        border=2,
    )
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg") :]  # without the XML declaration, to sit inside HTML


def normalise(code):
    return "".join((code or "").split())


def matching_step(secret, code, *, after=None, now=None):
    """The time step whose code is `code` (within the drift window, later than `after`),
    or None."""
    code = normalise(code)
    if not secret or len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now or timezone.now())
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
