from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "plusone.portal"
    label = "portal"
    verbose_name = "Client portal"
