"""The sign-in page is a two-step form (django-two-factor-auth): its fields carry the step's
prefix. Tests that sign in through the page post these."""

import django_otp.oath
from django_otp.plugins.otp_totp.models import TOTPDevice


def password_step(username, password, **extra):
    return {
        "login_view-current_step": "auth",
        "auth-username": username,
        "auth-password": password,
        **extra,
    }


def code_step(code, step="token"):
    return {"login_view-current_step": step, f"{step}-otp_token": code}


def current_code(device: TOTPDevice) -> str:
    """The code an authenticator app set up with `device`'s key shows now."""
    code = django_otp.oath.totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return str(code).zfill(device.digits)
