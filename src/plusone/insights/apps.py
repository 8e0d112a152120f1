from typing import Any

from django.apps import AppConfig

from plusone.measures.signals import daily_ran


def _enqueue_digests(sender: Any, **kwargs: Any) -> int:
    # local: the digests import models, which exist only once the app registry is ready.
    from plusone.insights.digests import enqueue_digests

    return enqueue_digests(sender, **kwargs)


class InsightsConfig(AppConfig):
    name = "plusone.insights"
    label = "insights"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        daily_ran.connect(_enqueue_digests, dispatch_uid="plusone.insights.digests")
