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
