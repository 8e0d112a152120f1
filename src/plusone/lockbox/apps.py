from django.apps import AppConfig

from plusone.clinical import access


class LockboxConfig(AppConfig):
    name = "plusone.lockbox"
    label = "lockbox"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # local: queries import models, which exist only once the app registry is ready.
        from plusone.lockbox.queries import named_clinician_block

        access.register_named_block(named_clinician_block)
