"""The caseload's row menu as a filter: ``{{ row|row_menu:menu }}`` (insights.dashboard)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from plusone.insights.dashboard import Menu, Row, menu_html

register = template.Library()


@register.filter
def row_menu(row: Row, menu: Menu) -> SafeString:
    return menu_html(row, menu)
