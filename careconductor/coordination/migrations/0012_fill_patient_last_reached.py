"""Fill Patient.last_reached_at (patients 0011) from the contact log: the latest reached contact of each patient,
as coordination.reach.refresh_last_reached keeps it from now on (issue 18). One UPDATE with a lookup per patient
down contact_patient_time_idx."""

from django.db import migrations
from django.db.models import Exists, OuterRef, Subquery


def fill(apps, schema_editor):
    Patient = apps.get_model("patients", "Patient")
    Contact = apps.get_model("coordination", "Contact")
    latest = (
        Contact.objects.filter(patient_id=OuterRef("pk"), reached=True)
        .order_by("-contact_at")
        .values("contact_at")[:1]
    )
    Patient.objects.filter(Exists(Contact.objects.filter(patient_id=OuterRef("pk"), reached=True))).update(
        last_reached_at=Subquery(latest)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("coordination", "0011_task_contact_sensitivity"),
        ("patients", "0011_patient_last_reached_at"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
