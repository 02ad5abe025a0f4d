"""The words of utilisation management: the codes kept are rules.py's enums; these give each its label."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from django.db import models

from .rules import DenialReason, Move, PendRule, PlanType, Status, Urgency

_E = TypeVar("_E", bound=StrEnum)


class Source(models.TextChoices):
    PHONE = "phone", "Phone, typed in"
    FAX = "fax", "Fax or upload"
    FHIR_PAS = "fhir-pas", "FHIR prior authorization (Da Vinci PAS)"
    FHIR_TASK = "fhir-task", "FHIR ServiceRequest and Task"


class Setting(models.TextChoices):
    OUTPATIENT = "outpatient", "Outpatient service"
    INPATIENT = "inpatient", "Inpatient admission (concurrent review)"


class AskedBy(models.TextChoices):
    NOBODY = "", "(standard request)"
    PROVIDER = "provider", "The provider"
    MEMBER = "member", "The member"


class AppealOutcome(models.TextChoices):
    OPEN = "", "Open"
    UPHELD = "upheld", "Denial upheld"
    OVERTURNED = "overturned", "Denial overturned"


class NoticeKind(models.TextChoices):
    DECISION = "decision", "Decision"
    PEND = "pend", "Request for information"
    APPEAL = "appeal", "Appeal decision"
    EXTENSION = "extension", "More time to decide"


class ExtensionAskedBy(models.TextChoices):
    MEMBER = "member", "The member asked for more time"
    PLAN = "plan", "The plan needs information, and waiting is in the member's interest"


class NoticeRecipient(models.TextChoices):
    MEMBER = "member", "The member"
    PROVIDER = "provider", "The requesting provider"


# The steps of a request's history that are not moves of its status.
STEP_LABELS = {
    "received": "Received",
    "criteria": "Criteria answered",
    "peer-to-peer": "Peer-to-peer conversation",
    "breached": "Past due: medical director told",
    "referred": "Referred to case management",
    "review-date": "Concurrent review",
}

URGENCY_LABELS = {Urgency.EXPEDITED: "Expedited", Urgency.STANDARD: "Standard"}
STATUS_LABELS = {
    Status.RECEIVED: "Received",
    Status.PENDED: "Pended for information",
    Status.IN_REVIEW: "In nurse review",
    Status.PHYSICIAN_REVIEW: "With a physician",
    Status.APPROVED: "Approved",
    Status.PARTIAL: "Partially approved",
    Status.DENIED: "Denied",
    Status.WITHDRAWN: "Withdrawn",
    Status.APPEALED: "Under appeal",
    Status.APPEAL_APPROVED: "Approved on appeal",
    Status.APPEAL_DENIED: "Denial upheld on appeal",
}
REASON_LABELS = {
    DenialReason.CRITERIA_NOT_MET: "The medical necessity criteria are not met",
    DenialReason.INFORMATION_MISSING: "The information needed to decide was not sent",
    DenialReason.NOT_A_BENEFIT: "The service is not a benefit of the member's plan",
    DenialReason.NOT_ELIGIBLE: "The member was not covered on the date of service",
    DenialReason.OUT_OF_NETWORK: "The provider is out of network and no exception applies",
    DenialReason.SITE_OF_CARE: "A less intensive place of care meets the need",
    DenialReason.EXPERIMENTAL: "The service is experimental or investigational",
    DenialReason.DUPLICATE: "The same service is already authorised for these dates",
}
MOVE_LABELS = {
    Move.PEND: "Pend for information",
    Move.RESUME: "Information received",
    Move.REVIEW: "Take into review",
    Move.TO_PHYSICIAN: "Send to a physician",
    Move.APPROVE: "Approve",
    Move.PARTIAL: "Partially approve",
    Move.DENY: "Deny",
    Move.WITHDRAW: "Withdraw",
    Move.APPEAL: "File an appeal",
    Move.UPHOLD: "Uphold the denial",
    Move.OVERTURN: "Overturn the denial",
}
# The same moves as a request's history tells them.
DONE_LABELS = {
    Move.PEND: "Pended for information",
    Move.RESUME: "Information received",
    Move.REVIEW: "Taken into review",
    Move.TO_PHYSICIAN: "Sent to a physician",
    Move.APPROVE: "Approved",
    Move.PARTIAL: "Partially approved",
    Move.DENY: "Denied",
    Move.WITHDRAW: "Withdrawn",
    Move.APPEAL: "Appeal filed",
    Move.UPHOLD: "Denial upheld on appeal",
    Move.OVERTURN: "Denial overturned on appeal",
    Move.EXTEND: "Time frame extended",
}
PLAN_TYPE_LABELS = {
    PlanType.MEDICARE_ADVANTAGE: "Medicare Advantage",
    PlanType.MEDICAID_FFS: "Medicaid fee-for-service",
    PlanType.MEDICAID_MANAGED_CARE: "Medicaid managed care",
    PlanType.CHIP: "CHIP",
    PlanType.QHP_EXCHANGE: "QHP on a federal exchange",
}
PEND_RULE_LABELS = {
    PendRule.CLOCK_RUNS: "The clock runs while pended (the regulatory default)",
    PendRule.CLOCK_STOPS: "The clock stops while pended (the plan's own rule)",
}


def choices(labels: Mapping[_E, str]) -> list[tuple[str, str]]:
    """A label table as a model field's choices."""
    return [(key.value, words) for key, words in labels.items()]
