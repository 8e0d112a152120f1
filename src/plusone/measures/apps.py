from typing import Any

from django.apps import AppConfig

from plusone.clinical.signals import episode_opened
from plusone.measures.kiosk import end_kiosk


def end_kiosk_on_sign_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """A sign-in on a kiosk device is the therapist coming back: kiosk mode ends."""

    if request is not None and hasattr(request, "session"):
        end_kiosk(request.session)


def judge_new_episode(sender: Any, *, episode: Any, today: Any, **kwargs: Any) -> None:
    """Judge a new episode's summary in intake's transaction (DESIGN.md: judged as of today)."""
    # local: the summary imports models, which exist only once the app registry is ready.
    from plusone.measures.summary import refresh_summary

    refresh_summary(episode, today=today)


class MeasuresConfig(AppConfig):
    name = "plusone.measures"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(end_kiosk_on_sign_in, dispatch_uid="measures.end_kiosk_on_sign_in")
        episode_opened.connect(judge_new_episode, dispatch_uid="measures.judge_new_episode")
