from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "plusone.clinical"
    label = "clinical"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The record's own checks register on import.
        from plusone.clinical import checks  # noqa: F401
