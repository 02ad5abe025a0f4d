from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from careconductor.accounts.actions import do_begin_totp_enrolment, do_confirm_totp
from careconductor.privacy.models import AuditEvent

from ..conftest import current_code
from ..personas import World

pytestmark = pytest.mark.django_db


def test_mfa_reset_removes_the_devices_and_is_audited(world: World, capsys) -> None:
    device = do_begin_totp_enrolment(world.alice)
    do_confirm_totp(world.alice, device, current_code(device))
    assert (
        TOTPDevice.objects.filter(user=world.alice).exists()
        and StaticDevice.objects.filter(user=world.alice).exists()
    )
    call_command("mfa", "reset", "alice")
    assert not TOTPDevice.objects.filter(user=world.alice).exists()
    assert not StaticDevice.objects.filter(user=world.alice).exists()
    assert AuditEvent.objects.filter(action="delete", object_type="MfaDevice").exists()
    assert "set up a new one" in capsys.readouterr().out


def test_mfa_reset_names_an_unknown_user() -> None:
    with pytest.raises(CommandError, match="no user 'nobody'"):
        call_command("mfa", "reset", "nobody")
