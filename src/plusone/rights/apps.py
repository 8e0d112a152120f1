from django.apps import AppConfig


class RightsConfig(AppConfig):
    name = "plusone.rights"
    label = "rights"
    default_auto_field = "django.db.models.BigAutoField"
