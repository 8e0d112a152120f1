from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "plusone.web"
    label = "web"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        # PlusOne's own deploy checks register on import.
        from plusone.web import checks  # noqa: F401
        from plusone.web.sessions import stamp_sign_in

        user_logged_in.connect(stamp_sign_in, dispatch_uid="plusone.stamp_sign_in")
