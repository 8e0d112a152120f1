from django.apps import AppConfig


class ObserversConfig(AppConfig):
    name = "plusone.observers"
    label = "observers"
    default_auto_field = "django.db.models.BigAutoField"
