from django.apps import AppConfig


class CustodianConfig(AppConfig):
    name = "plusone.custodian"
    label = "custodian"
    default_auto_field = "django.db.models.BigAutoField"
