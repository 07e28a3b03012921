from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = _("Clinical records")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete, post_save
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from . import (
            checks,  # noqa: F401  (registers system checks)
            security,
            unwritable,  # noqa: F401  (SQLite's journal mode, set once)
        )
        from .api import tokens  # noqa: F401  (revokes API tokens with the password)

        post_save.connect(security.record_device_saved, sender=TOTPDevice)
        post_delete.connect(security.record_device_deleted, sender=TOTPDevice)
