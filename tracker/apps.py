from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = _("Clinical records")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth.models import update_last_login
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_delete, post_save, pre_save
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from . import (
            checks,  # noqa: F401  (registers system checks)
            security,
            unwritable,  # noqa: F401  (SQLite's journal mode, set once)
        )
        from .api import tokens  # noqa: F401  (revokes API tokens with the password)

        # The time of the last sign-in is skipped while the database refuses writes.
        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
        user_logged_in.connect(security.update_last_login, dispatch_uid="update_last_login")
        pre_save.connect(security.refuse_a_second_device, sender=TOTPDevice)
        post_save.connect(security.record_device_saved, sender=TOTPDevice)
        post_delete.connect(security.record_device_deleted, sender=TOTPDevice)
