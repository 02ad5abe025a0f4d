"""The words of letters: which letter, who it goes to and how it went."""

from __future__ import annotations

from django.db import models


class LetterKind(models.TextChoices):
    WELCOME = "welcome", "Welcome to the programme"
    UNABLE_TO_REACH = "unable-to-reach", "Unable to reach"
    REFERRAL = "referral", "Referral"
    APPOINTMENT = "appointment", "Appointment"
    CLOSING = "closing", "Closing the case"
    INVITATION = "invitation", "Invitation to a programme"


class RecipientKind(models.TextChoices):
    PATIENT = "patient", "The patient"
    # Anyone else (a community organisation, a caregiver, a clinic): the letter is a disclosure.
    THIRD_PARTY = "third-party", "Someone else (a person or organisation)"


class Delivery(models.TextChoices):
    MAIL = "mail", "Printed and mailed"
    HAND = "hand", "Printed and given by hand"
    EMAIL = "email", "E-mailed"
    PORTAL = "portal", "Put in the patient portal"
