"""Enumerations of the complaints app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    REGULATOR = "regulator", _("监管转办")
    SELF = "self", _("自收")


class Channel(models.TextChoices):
    REGULATOR = "regulator", _("监管转办")
    HOTLINE = "hotline", _("客服热线")
    COUNTER = "counter", _("柜面来访")
    LETTER = "letter", _("信函")
    ONLINE = "online", _("网络/在线")
    EMAIL = "email", _("电子邮件")
    OTHER = "other", _("其他")


class Category(models.TextChoices):
    SALES_MISLEADING = "sales", _("销售误导")
    CLAIMS = "claims", _("理赔")
    POLICY_SERVICE = "policy_service", _("保全")
    SURRENDER = "surrender", _("退保")
    ATTITUDE = "attitude", _("服务态度")
    RENEWAL = "renewal", _("续期收费")
    PRODUCT = "product", _("产品条款")
    OTHER = "other", _("其他")


class Status(models.TextChoices):
    RECEIVED = "received", _("已登记")
    ACCEPTED = "accepted", _("已受理")
    INVESTIGATING = "investigating", _("调查中")
    DECIDED = "decided", _("已决定")
    NOTIFIED = "notified", _("已告知")
    CLOSED = "closed", _("已结案")
    WITHDRAWN = "withdrawn", _("已撤回")
    MERGED = "merged", _("已合并")


# The decision limit runs until the customer is told; these statuses still owe a decision or notice.
OPEN_STATUSES = (Status.RECEIVED, Status.ACCEPTED, Status.INVESTIGATING, Status.DECIDED)


class NoticeMethod(models.TextChoices):
    PHONE = "phone", _("电话")
    SMS = "sms", _("短信")
    LETTER = "letter", _("书面函件")
    IN_PERSON = "in_person", _("当面")
    EMAIL = "email", _("电子邮件")


class PauseKind(models.TextChoices):
    APPRAISAL = "appraisal", _("外部鉴定/检测")
    MEDIATION = "mediation", _("调解")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY = "basically", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")
    UNREACHABLE = "unreachable", _("未能联系")


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("放假")
    WORKDAY = "workday", _("调休上班")


class CalendarSource(models.TextChoices):
    PACKAGE = "chinesecalendar", _("chinesecalendar 初始数据")
    OFFICE = "office", _("省公司录入")
    IMPORT = "import", _("文件导入")


class EventKind(models.TextChoices):
    CREATED = "created", _("登记")
    EDITED = "edited", _("修改信息")
    ASSIGNED = "assigned", _("指定经办人")
    MATERIAL_REQUESTED = "material_requested", _("告知补正材料")
    MATERIAL_COMPLETED = "material_completed", _("材料补正齐全")
    ACCEPTED = "accepted", _("受理")
    INVESTIGATING = "investigating", _("开始调查")
    JOINT_SHEET_SENT = "joint_sheet_sent", _("发出会办单")
    JOINT_SHEET_ANSWERED = "joint_sheet_answered", _("会办单回复")
    EXTENDED = "extended", _("延期")
    PAUSED = "paused", _("中止计时")
    RESUMED = "resumed", _("恢复计时")
    RESTARTED = "restarted", _("重新计时")
    DECIDED = "decided", _("作出处理决定")
    NOTIFIED = "notified", _("告知客户")
    CLOSED = "closed", _("结案")
    WITHDRAWN = "withdrawn", _("撤回")
    MERGED = "merged", _("合并")
    MERGED_IN = "merged_in", _("并入重复投诉")
    REPEAT_CALL = "repeat_call", _("重复来电")
    MEDIATION = "mediation", _("调解情况")
    CALLBACK = "callback", _("满意度回访")
    MAJOR = "major", _("重大投诉标记")
    OVERDUE = "overdue", _("超期")
    DEADLINES = "deadlines", _("期限重算")
