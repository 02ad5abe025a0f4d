"""A transitional-care programme saved before discharge referrals existed keeps the default it followed until
then (cases.programs.DEFAULT_DISCHARGE_REFERRAL_LACE: LACE >= 10); other saved programmes take none (issue 19)."""

from django.db import migrations


def fill(apps, schema_editor):
    ProgramSetting = apps.get_model("cases", "ProgramSetting")
    ProgramSetting.objects.filter(program="tcm", discharge_referral_lace__isnull=True).update(
        discharge_referral_lace=10
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_program_discharge_referral_lace"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
