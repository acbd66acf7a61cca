"""Template context for every page: the navigation links of data entry, review and office scores."""

from django.urls import reverse
from django.utils.translation import gettext

from branches.permissions import can_review_figures, can_score_qualitative, is_officer


def entries_nav(request) -> dict:
    """`nav_extra` for base.html: entry and history for everyone, review and office pages for the office.

    Labels are two characters so the bar still fits a tablet's width next to the foundation's links."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from kpi.entries.selectors import unread_notice_count

    items = [{"url": reverse("kpi:entries"), "label": gettext("填报")}]
    if is_officer(user):
        items.insert(0, {"url": reverse("kpi:dashboard"), "label": gettext("工作台")})
    if can_review_figures(user):
        items.append({"url": reverse("kpi:review"), "label": gettext("审核")})
    if can_score_qualitative(user):
        items.append({"url": reverse("kpi:office"), "label": gettext("评分")})
    items.append({"url": reverse("kpi:imports"), "label": gettext("导入")})
    if is_officer(user):
        items.append({"url": reverse("kpi:simulate"), "label": gettext("模拟")})
    items.append({"url": reverse("kpi:history"), "label": gettext("记录")})
    unread = unread_notice_count(user=user)
    items.append(
        {"url": reverse("kpi:notices"), "label": gettext("通知（%(n)s）") % {"n": unread} if unread else gettext("通知")}
    )
    return {"nav_extra": items}
