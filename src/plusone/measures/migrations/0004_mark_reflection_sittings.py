"""Data step: mark the sittings that hold only a Session Reflection as kind "reflection".

Sittings stored before the kind existed (the demo's end-of-session sittings)
would otherwise count as check-ins, carry over and number the next check-in.
"""

from typing import Any

from django.db import migrations
from django.db.models import Exists, OuterRef

REFLECTION = "session_reflection"


def mark(apps: Any, schema_editor: Any) -> None:
    sitting_model = apps.get_model("measures", "Sitting")
    administration_model = apps.get_model("measures", "Administration")
    reflection = administration_model.objects.filter(
        sitting=OuterRef("pk"), instrument_key=REFLECTION
    )
    other = administration_model.objects.filter(sitting=OuterRef("pk")).exclude(
        instrument_key=REFLECTION
    )
    sitting_model.objects.filter(Exists(reflection)).exclude(Exists(other)).exclude(
        kind="reflection"
    ).update(kind="reflection")


def unmark(apps: Any, schema_editor: Any) -> None:
    # The kind did not exist before: such sittings were stored as routine.
    apps.get_model("measures", "Sitting").objects.filter(kind="reflection").update(kind="routine")


class Migration(migrations.Migration):
    dependencies = [("measures", "0003_sitting_kind_reflection")]

    operations = [migrations.RunPython(mark, unmark)]
