from django.apps import AppConfig

from plusone.clinical import access


class PrivacyConfig(AppConfig):
    name = "plusone.privacy"
    label = "privacy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # local: queries import models, which exist only once the app registry is ready.
        from plusone.privacy.queries import break_glass_client_ids

        access.register_break_glass(break_glass_client_ids)
