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
        )

        post_save.connect(security.record_device_saved, sender=TOTPDevice)
        post_delete.connect(security.record_device_deleted, sender=TOTPDevice)
