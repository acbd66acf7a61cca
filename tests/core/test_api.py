"""The one API exception handler: business-rule errors become plain-JSON 400s."""

import dataclasses
import datetime
import json
from decimal import Decimal

from core.api import exception_handler
from core.errors import ApplicationError


@dataclasses.dataclass
class Problem:
    message: str
    field: str


def test_an_application_error_with_rich_extras_renders_as_json():
    exc = ApplicationError("已被他人修改", extra={
        "errors": [Problem("数值不能为负", "value")],
        "conflict": [{"at": datetime.datetime(2023, 9, 1, 8, 0, tzinfo=datetime.UTC), "old": Decimal("1.50")}],
    })
    response = exception_handler(exc, {})
    assert response.status_code == 400
    body = json.loads(json.dumps(response.data))
    assert body == {
        "detail": "已被他人修改",
        "errors": [{"message": "数值不能为负", "field": "value"}],
        "conflict": [{"at": "2023-09-01T08:00:00+00:00", "old": "1.50"}],
    }
