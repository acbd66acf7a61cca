"""What models say about themselves."""

import datetime

from complaints.models import RepeatCall


def test_a_repeat_call_shows_its_time_in_shanghai_not_utc():
    call = RepeatCall(called_at=datetime.datetime(2023, 9, 27, 17, 30, tzinfo=datetime.UTC))
    assert str(call) == "2023-09-28 01:30 重复来电"
