from typing import Any

from django.apps import AppConfig

from plusone.clinical.signals import flag_raised


def enqueue_flag_email(sender: Any, *, flag_id: str, slot: str, **kwargs: Any) -> None:
    """Queue the therapist's email in the transaction that raised the flag."""
    # local: tasks import models, which exist only once the app registry is ready.
    from plusone.notify.tasks import notify_new_flag

    if slot == "first":
        notify_new_flag.enqueue(flag_id)
    else:
        notify_new_flag.enqueue(flag_id, slot=slot)


class NotifyConfig(AppConfig):
    name = "plusone.notify"
    label = "notify"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:

        flag_raised.connect(enqueue_flag_email, dispatch_uid="plusone.notify.flag_email")
