"""Template filters for the crisis text: phone numbers never break across lines."""

from __future__ import annotations

import re

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# 9-8-8, 911, 1-855-242-3310: digits joined by hyphens, kept on one line.
PHONE = re.compile(r"\b\d(?:[\d-]*\d)?\b")


@register.filter
def keep_numbers_whole(text: str) -> SafeString:
    """Escape ``text`` and wrap each phone-like number in a span that does not wrap,
    so "9-8-8" is never split as "9-8-" and "8" on a narrow phone."""
    escaped = str(conditional_escape(text))
    wrapped = PHONE.sub(
        lambda m: (
            str(format_html('<span class="ci-number">{}</span>', m.group(0)))
            if "-" in m.group(0) or len(m.group(0)) >= 3
            else m.group(0)
        ),
        escaped,
    )
    return mark_safe(wrapped)  # noqa: S308 - built from escaped text and format_html
