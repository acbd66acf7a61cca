"""Template context for every page: the navigation links of data entry, review and office scores."""

from django.urls import reverse

from branches.permissions import can_review_figures, can_score_qualitative


def entries_nav(request) -> dict:
    """`nav_extra` for base.html: entry and history for everyone, review and office pages for the office."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from kpi.entries.selectors import unread_notice_count

    items = [{"url": reverse("kpi:entries"), "label": "数据填报"}]
    if can_review_figures(user):
        items.append({"url": reverse("kpi:review"), "label": "审核与锁定"})
    if can_score_qualitative(user):
        items.append({"url": reverse("kpi:office"), "label": "定性与减分"})
    items.append({"url": reverse("kpi:history"), "label": "变更记录"})
    unread = unread_notice_count(user=user)
    items.append({"url": reverse("kpi:notices"), "label": f"通知（{unread}）" if unread else "通知"})
    return {"nav_extra": items}
