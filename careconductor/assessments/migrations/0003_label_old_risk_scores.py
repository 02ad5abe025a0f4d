from django.db import migrations


def forwards(apps, schema_editor):
    from careconductor.assessments.relabel import relabel_old_scores

    relabel_old_scores(apps.get_model("assessments", "RiskScore"), apps.get_model("patients", "Condition"))


class Migration(migrations.Migration):
    """Scores computed before they carried a label get the label of the sensitive diagnoses they name."""

    dependencies = [
        ("assessments", "0002_risk_score_sensitivity"),
        ("patients", "0002_condition_sensitivity_note"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
