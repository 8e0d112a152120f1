from typing import Any

from django.apps import AppConfig


def end_kiosk_on_sign_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """A sign-in on a kiosk device is the therapist coming back: kiosk mode ends."""
    from plusone.measures.kiosk import end_kiosk

    if request is not None and hasattr(request, "session"):
        end_kiosk(request.session)


class MeasuresConfig(AppConfig):
    name = "plusone.measures"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(end_kiosk_on_sign_in, dispatch_uid="measures.end_kiosk_on_sign_in")
