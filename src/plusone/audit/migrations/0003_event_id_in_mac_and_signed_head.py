"""Schema for the signed head and the event id inside the event's MAC (issue 10).

Existing events become ``mac_version`` 1 (their MAC covers the content, not
the id) and keep the MAC they were recorded with: nothing in the trail is
rewritten. 0004 seals their ids and signs every head.

On PostgreSQL, adding a column with a constant default touches no row, so the
append-only triggers of 0002 do not fire.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_on_postgresql")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="mac_version",
            field=models.PositiveSmallIntegerField(
                choices=[
                    (1, "content only (before the id was signed)"),
                    (2, "id and content"),
                ],
                default=1,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="content_mac",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="chainhead",
            name="head_mac",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.CheckConstraint(
                condition=models.Q(("mac_version__in", [1, 2])), name="audit_mac_version_known"
            ),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("content_mac", ""), ("mac_version", 1)),
                    models.Q(("mac_version", 2), models.Q(("content_mac", ""), _negated=True)),
                    _connector="OR",
                ),
                name="audit_content_mac_with_version_2",
            ),
        ),
    ]
