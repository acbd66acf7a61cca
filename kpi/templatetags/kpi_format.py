"""Numbers and months as Chinese readers expect them."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

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
    """'1–8月' for a year-to-date window ending in August; '1月' for January alone."""
    if not month:
        return ""
    return "1月" if int(month) == 1 else f"1–{int(month)}月"
