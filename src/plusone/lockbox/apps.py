from django.apps import AppConfig


class LockboxConfig(AppConfig):
    name = "plusone.lockbox"
    label = "lockbox"
    default_auto_field = "django.db.models.BigAutoField"
