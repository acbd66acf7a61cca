"""Numbers and months as Chinese readers expect them (months as English readers do in English)."""

import datetime
from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext, pgettext

from kpi.scoring.decimals import quantize

register = template.Library()


@register.filter
def num(value, places=None):
    """A Decimal with thousands separators; `places` fixes the decimals (half-up), else as stored."""
    if value is None or value == "":
        return "—"
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        return value
    if places is None:
        d = d.normalize()
        places = max(0, -d.as_tuple().exponent)
    d = quantize(d, int(places))
    return number_format(d, decimal_pos=int(places), use_l10n=True, force_grouping=True)


@register.filter
def ytd_label(month):
    """'1–8月' for a year-to-date window ending in August; '1月' for January alone ('Jan–Aug', 'Jan' in English).

    Both ends are date formats from the catalogue: 'n月' (English 'M') for the last month, and 'n' (English 'M')
    for the first, which Chinese writes without 月."""
    if not month:
        return ""
    last = date_format(datetime.date(2000, int(month), 1), gettext("n月"))
    if int(month) == 1:
        return last
    first = date_format(datetime.date(2000, 1, 1), pgettext("first month of a year-to-date range, as a date format", "n"))
    return f"{first}–{last}"


@register.simple_tag
def league_url(window, *parts):
    """The stable address of a league window's table, of a branch in it, or of one cell's explanation."""
    return window.url(*parts)


@register.filter
def rank_change(change):
    """▲2 moved up two places, ▼1 down one, — unchanged or nothing to compare with."""
    if change is None or change == 0:
        return "—"
    return f"▲{change}" if change > 0 else f"▼{-change}"


@register.filter
def signed(value, places=2):
    """+1.50 / −0.20 / 0.00 (a real minus sign), — when missing."""
    if value is None:
        return "—"
    d = Decimal(str(value))
    text = num(abs(d), places)
    return f"+{text}" if d > 0 else (f"−{text}" if d < 0 else text)
