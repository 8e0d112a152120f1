from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "plusone.demo"
    label = "demo"
    verbose_name = "Demo practice"
