"""The Jiangsu 2023 demo: 13 branches, the 2023 scheme, eight months of figures, the office's scores."""

import csv
import json
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from branches.models import Branch, Role, User
from branches.services import branch_tree_load, user_upsert
from complaints.demo import load_demo_complaints
from kpi import services
from kpi.models import (
    Component,
    Deduction,
    MonthlyFigure,
    MonthlySubmission,
    Publication,
    QualitativeScore,
    Scheme,
    SubmissionAction,
    SubmissionEvent,
    SubmissionStatus,
    TargetOverride,
)
from kpi.publishing.services import months_lock_derived, window_publish

DATA = Path(__file__).resolve().parent / "data"
DEMO_DIR = DATA / "jiangsu-2023"
SCHEME_FILE = DATA / "schemes" / "jiangsu-2023.json"
DEMO_MONTH = 8
SCHEME_CODE = "jiangsu-2023"
JOURNAL = "《江苏消保》2023年第2期"

# 盐城's item scores are not published; these placeholders add up to its published qualitative total.
YANCHENG_PLACEHOLDER = {
    "1-1": "1.0", "1-2": "1.0", "1-3": "1.0", "2-1": "1.5", "2-2": "1.5",
    "2-4": "1.0", "3-1": "1.5", "3-2": "2.0", "4-1": "1.0", "4-2": "2.0",
}
DEDUCTIONS = {"lianyungang": "-4", "suqian": "-7", "xuzhou": "-14"}
# The journal's regulator scores imply a provincial average of 0.3650 for January–August (any value
# in 0.36491–0.36508 reproduces all 13 scores); the 13 prefectures' own figures pool to 0.7282 (the
# province's average also covers business booked outside them), so the demo enters the official
# figure as the office does when it receives it.
OFFICIAL_TARGETS = {
    "reg_complaints_per_100m": ("0.3650", "期刊公布得分所用的全省平均(含未列示机构的业务)；13家中支自身分量合计为0.7282"),
}


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def scheme_data() -> dict:
    return json.loads(SCHEME_FILE.read_text(encoding="utf-8"))


@transaction.atomic
def load_demo(*, password: str) -> Scheme:
    """Load (or reload) everything the demo shows; idempotent."""
    branch_tree_load(rows=read_csv(DEMO_DIR / "branches.csv"))
    scheme = services.scheme_load(data=scheme_data())
    _load_figures()
    # Complaint figures come from the cases themselves; this switches those components to derived.
    load_demo_complaints()
    _load_office_scores(scheme)
    province = Branch.objects.get(code="jiangsu")
    user_upsert(username="admin", password=password, branch=province, role=Role.ADMIN, full_name="系统管理员")
    user_upsert(username="province", password=password, branch=province, role=Role.OFFICER, full_name="省公司消保部")
    for branch in Branch.objects.filter(level="prefecture"):
        user_upsert(username=branch.code, password=password, branch=branch, role=Role.BRANCH_STAFF, full_name=f"{branch.name}客服中心")
    _approve_published_months()
    return scheme


def _approve_published_months() -> None:
    """The journal's months were reviewed and locked; September is left open for the demo clerk."""
    officer = User.objects.get(username="province")
    staff = {u.branch_id: u for u in User.objects.filter(role=Role.BRANCH_STAFF, branch__level="prefecture")}
    existing = set(MonthlySubmission.objects.values_list("branch_id", "month"))
    months = sorted({(b, m) for b, m in MonthlyFigure.objects.values_list("branch_id", "month")} - existing)
    now = timezone.now()
    submissions = MonthlySubmission.objects.bulk_create(
        MonthlySubmission(
            branch_id=branch_id, month=month, status=SubmissionStatus.APPROVED, revision=1,
            submitted_by=staff.get(branch_id), submitted_at=now, reviewed_by=officer, reviewed_at=now,
            comment="演示数据：已公布的月份，审核锁定",
        )
        for branch_id, month in months
    )
    SubmissionEvent.objects.bulk_create(
        SubmissionEvent(submission=s, action=SubmissionAction.APPROVED, actor=officer, revision=1,
                        status=SubmissionStatus.APPROVED, comment=s.comment)
        for s in submissions
    )
    months_lock_derived(submissions=submissions, user=officer)


def is_loaded() -> bool:
    """Whether the demo is already in the database: a second `make demo` keeps what visitors did instead of
    loading over it."""
    return Scheme.objects.filter(code=SCHEME_CODE).exists()


def publish_journal_window(scheme: Scheme) -> Publication:
    """Publish 1–8月 as revision 1, as the office did: the journal's table is its reference (kept if it is)."""
    existing = Publication.objects.filter(scheme=scheme, month=DEMO_MONTH).order_by("revision").first()
    if existing is not None:
        return existing
    return window_publish(
        scheme=scheme, month=DEMO_MONTH, user=User.objects.get(username="province"),
        note=f"{JOURNAL}公布的1–{DEMO_MONTH}月排名", reference=JOURNAL,
    )


def _load_figures() -> None:
    branches = dict(Branch.objects.values_list("code", "pk"))
    components = dict(Component.objects.values_list("code", "pk"))
    MonthlyFigure.objects.filter(branch_id__in=branches.values()).delete()
    MonthlyFigure.objects.bulk_create(
        MonthlyFigure(
            branch_id=branches[r["branch"]], component_id=components[r["component"]],
            month=f"{r['month']}-01", value=Decimal(r["value"]),
        )
        for r in read_csv(DEMO_DIR / "monthly_figures.csv")
    )


def _load_office_scores(scheme: Scheme) -> None:
    branches = {b.code: b for b in Branch.objects.all()}
    QualitativeScore.objects.filter(scheme=scheme).delete()
    Deduction.objects.filter(scheme=scheme).delete()
    rows = [
        QualitativeScore(scheme=scheme, branch=branches[r["branch"]], item_code=r["item"], month=DEMO_MONTH,
                         score=Decimal(r["score"]), reason="《江苏消保》2023年第2期公布")
        for r in read_csv(DEMO_DIR / "published_qualitative.csv")
    ]
    rows += [
        QualitativeScore(scheme=scheme, branch=branches["yancheng"], item_code=item, month=DEMO_MONTH, score=Decimal(score),
                         unpublished=True, reason="期刊未公布盐城分项得分；演示占位，合计等于公布的定性总分 13.5")
        for item, score in YANCHENG_PLACEHOLDER.items()
    ]
    QualitativeScore.objects.bulk_create(rows)
    TargetOverride.objects.filter(scheme=scheme).delete()
    TargetOverride.objects.bulk_create(
        TargetOverride(scheme=scheme, indicator_code=code, month=DEMO_MONTH, value=Decimal(value), reason=reason)
        for code, (value, reason) in OFFICIAL_TARGETS.items()
    )
    Deduction.objects.bulk_create(
        Deduction(scheme=scheme, branch=branches[code], month=DEMO_MONTH, points=Decimal(points),
                  reason="《江苏消保》公布的减分(原因未公布)")
        for code, points in DEDUCTIONS.items()
    )
