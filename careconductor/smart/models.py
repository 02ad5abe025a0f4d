"""Apps and system clients that reach the FHIR API through SMART on FHIR (OAuth 2.0).

The OAuth server is django-oauth-toolkit: its Application, Grant, AccessToken and RefreshToken hold the
protocol's state (tokens hashed at rest). What SMART and this product add is kept here, beside them: which
organisation registered the app and what it may ask for, the public keys of a backend client, the launch a
user started from a chart, and the patient a token is bound to.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from oauth2_provider.models import AccessToken, Application

from careconductor.core.models import TimestampedModel


class AppKind(models.TextChoices):
    LAUNCH = "launch", "App that people open (SMART App Launch)"
    BACKEND = "backend", "System feed (SMART Backend Services)"


class SmartApp(TimestampedModel):
    """One registered app or system client of an organisation, beside its OAuth client."""

    client = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="smart")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=AppKind.choices)
    description = models.CharField(max_length=200, blank=True)
    # Where the chart's "Open in app" sends the browser (EHR launch); blank: standalone only.
    launch_url = models.URLField(max_length=400, blank=True)
    # The most the app may be granted, as SMART scopes separated by spaces; a request asks for less or equal.
    allowed_scopes = models.TextField()
    # A backend client's public keys (a JWK Set), registered inline: the server fetches nothing at run time.
    jwks = models.JSONField(default=dict, blank=True)
    # Whose access a backend client acts with: a service account of the organisation. Launch apps act as the
    # person who launched them.
    service_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.client.name


class Launch(models.Model):
    """An EHR launch: a user opened an app from a patient's chart. The app echoes `launch` to the authorize
    endpoint, which binds the token to the patient (only for the same user, only once, only for minutes)."""

    key = models.CharField(max_length=64, unique=True)
    app = models.ForeignKey(SmartApp, on_delete=models.CASCADE, related_name="launches")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"launch of app {self.app_id} for patient {self.patient_id}"


class GrantContext(models.Model):
    """The patient an authorisation code was granted for (chosen on the consent screen or by the launch)."""

    code_hash = models.CharField(max_length=64, unique=True)
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"grant for patient {self.patient_id}"


class TokenContext(models.Model):
    """The patient an access token is bound to: every read and write it makes stays inside that record."""

    access_token = models.OneToOneField(AccessToken, on_delete=models.CASCADE, related_name="smart_context")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"token for patient {self.patient_id}"


class UsedAssertion(models.Model):
    """A backend client's signed assertion already used: the same `jti` is refused until it has expired."""

    app = models.ForeignKey(SmartApp, on_delete=models.CASCADE, related_name="+")
    jti = models.CharField(max_length=200)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["app", "jti"], name="smart_assertion_once")]

    def __str__(self) -> str:
        return f"assertion {self.jti} of app {self.app_id}"
