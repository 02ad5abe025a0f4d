from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class InvitationKind(models.TextChoices):
    PATIENT = "patient", _("The patient")
    PROXY = "proxy", _("A proxy the patient chose")


class ProxyRelationship(models.TextChoices):
    SPOUSE = "spouse", _("Spouse or partner")
    CHILD = "child", _("Son or daughter")
    PARENT = "parent", _("Parent")
    SIBLING = "sibling", _("Brother or sister")
    FRIEND = "friend", _("Friend")
    CAREGIVER = "caregiver", _("Paid caregiver")
    OTHER = "other", _("Someone else")


class CheckInKind(models.TextChoices):
    GOAL = "goal", _("How a goal went")
    WELLBEING = "wellbeing", _("Mood and symptoms")


class GoalRating(models.TextChoices):
    # How the week went for a goal, in the patient's terms.
    WELL = "well", _("It went well")
    PARTLY = "partly", _("Some of it went well")
    NOT_WELL = "not-well", _("It did not go well")


class Symptom(models.TextChoices):
    SHORT_OF_BREATH = "short-of-breath", _("Short of breath")
    SWELLING = "swelling", _("Swollen feet or legs")
    CHEST_PAIN = "chest-pain", _("Chest pain or pressure")
    DIZZY = "dizzy", _("Dizzy or light-headed")
    SHAKY = "shaky", _("Shaky, sweaty or confused")
    THIRSTY = "thirsty", _("Very thirsty or passing a lot of urine")
    HEADACHE = "headache", _("Bad headache")
    WHEEZING = "wheezing", _("Wheezing or coughing")
    PAIN = "pain", _("Pain")
    TIRED = "tired", _("Very tired")
    POOR_SLEEP = "poor-sleep", _("Poor sleep")


class ThresholdMeasure(models.TextChoices):
    BP_SYSTOLIC = "bp-systolic", _("Systolic blood pressure (mmHg)")
    BP_DIASTOLIC = "bp-diastolic", _("Diastolic blood pressure (mmHg)")
    GLUCOSE = "glucose", _("Blood sugar (mg/dL)")
    WEIGHT_GAIN = "weight-gain-3d", _("Weight gain over 3 days (kg)")
    PEAK_FLOW = "peak-flow", _("Peak flow (L/min)")


# The rules a patient's own report can raise an alert by (engagement.rules, Breach.rule), in words for the staff's
# screens; registered with coordination from EngagementConfig.ready().
SELF_REPORT_RULES = {
    "self-report:bp-high": "Blood pressure the patient reported at or above the alert limit",
    "self-report:bp-low": "Blood pressure the patient reported below the alert limit",
    "self-report:glucose-low": "Blood sugar the patient reported below the alert limit",
    "self-report:glucose-high": "Blood sugar the patient reported above the alert limit",
    "self-report:weight-gain": "Weight gain the patient reported at or past the alert limit",
    "self-report:peak-flow-low": "Peak flow the patient reported below the alert limit",
    "self-report:chest-pain": "Chest pain the patient reported",
    "self-report:low-mood": "A very low mood the patient reported",
    "message:symptoms": "Symptoms the patient wrote of in a portal message",
}
