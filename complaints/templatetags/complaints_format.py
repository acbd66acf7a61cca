"""Dates from stored deadline explanations, as Chinese readers write them."""

import datetime

from django import template

from complaints.deadlines import cn

register = template.Library()


@register.filter
def isodate(value):
    """'2023-10-13' → 2023年10月13日; empty stays empty."""
    if not value:
        return ""
    try:
        return cn(datetime.date.fromisoformat(str(value)))
    except ValueError:
        return value
