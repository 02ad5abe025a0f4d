from __future__ import annotations


class ActionRefused(Exception):
    """An action refused a change. `errors` maps a form field (or "" for the whole request) to plain words.

    Raised before anything is written, or inside the action's transaction so that nothing is kept.
    """

    def __init__(self, errors: dict[str, str] | str) -> None:
        self.errors = {"": errors} if isinstance(errors, str) else dict(errors)
        super().__init__("; ".join(self.errors.values()))


class NotVisible(Exception):
    """The user may not see this record. Answered exactly like a missing record (404)."""


class RecordMoved(Exception):
    """The record asked for was merged into another the user may see (patients/merge.py): the request is
    answered with a redirect to the same page of that record (patients.middleware), so old links, bookmarks
    and papers lead to the person's record under its own address."""

    def __init__(self, kept_id: int) -> None:
        self.kept_id = kept_id
        super().__init__(f"merged into {kept_id}")
