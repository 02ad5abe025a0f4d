"""The top bar's pages for the signed-in person, from the one role-to-page rule (accounts.rules.pages_for)."""

from __future__ import annotations

from typing import Any

from django import template

from ..rules import current_page, pages_for

register = template.Library()


@register.simple_tag
def top_bar_pages(user: Any) -> frozenset[str]:
    """The `nav` names of the pages to offer; none before the second factor a role needs has been given."""
    if not user.is_authenticated:
        return frozenset()
    verified = getattr(user, "is_verified", None)  # django-otp's middleware adds it to the request's user
    if user.mfa_required and not (callable(verified) and verified()):
        return frozenset()
    return frozenset(page.value for page in pages_for(user.role))


@register.simple_tag
def top_bar_current(nav: Any) -> str:
    return current_page(str(nav or ""))
