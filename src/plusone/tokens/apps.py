from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "plusone.tokens"
    label = "tokens"
    default_auto_field = "django.db.models.BigAutoField"
