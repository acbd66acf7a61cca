"""Login lockout (issue 8, item 5): a lock cannot be held forever, and the address is the client's own.

Policy: five failures of one username from one address lock that pair for 15 minutes, counted from the
failure that caused the lock; attempts during the lock are refused and do not extend it. The address
is REMOTE_ADDR, or X-Forwarded-For only when REMOTE_ADDR is one of TRUSTED_PROXIES.
"""

import datetime

import pytest
from axes.models import AccessAttempt
from django.test import Client

from core.clientip import client_ip

LOGIN = "/accounts/login/"
OFFICE = "198.51.100.7"  # the office's NAT address
PROXY = "10.0.0.2"


@pytest.fixture(autouse=True)
def proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]


def attempt(password, *, ip=OFFICE, forwarded=None, username="nanjing"):
    extra = {"REMOTE_ADDR": ip} | ({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {})
    return Client().post(LOGIN, {"username": username, "password": password}, **extra)


def minutes_pass(minutes):
    """Move every recorded attempt back in time, as if `minutes` had passed."""
    for a in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=a.pk).update(attempt_time=a.attempt_time - datetime.timedelta(minutes=minutes))


def test_the_lock_runs_from_the_failure_that_caused_it_and_attempts_during_it_do_not_extend_it(users):
    assert [attempt("wrong").status_code for _ in range(5)] == [200, 200, 200, 200, 429]
    locked = attempt("pw-12345678")
    assert locked.status_code == 429 and "登录已暂时锁定" in locked.content.decode()
    minutes_pass(10)
    for _ in range(3):  # a colleague behind the same NAT keeps trying
        assert attempt("wrong").status_code == 429
    minutes_pass(6)  # 16 minutes after the lock began, 6 after the last refused attempt
    assert attempt("pw-12345678").status_code == 302


def test_the_lock_is_per_username_and_address(users):
    for _ in range(5):
        attempt("wrong")
    assert attempt("pw-12345678").status_code == 429
    assert attempt("pw-12345678", ip="203.0.113.9").status_code == 302, "the same user from elsewhere"
    assert attempt("pw-12345678", username="wuxi").status_code == 302, "another user from the office"


def test_a_forwarded_address_counts_only_from_a_trusted_proxy(users):
    for _ in range(5):
        attempt("wrong", ip=PROXY, forwarded=f"203.0.113.50, {OFFICE}")
    assert attempt("pw-12345678", ip=PROXY, forwarded=OFFICE).status_code == 429
    assert attempt("pw-12345678", ip=PROXY, forwarded="203.0.113.9").status_code == 302, "another client of the proxy"
    # From an untrusted address the header is ignored: it cannot dodge the lock nor frame someone else.
    for _ in range(5):
        attempt("wrong", ip="192.0.2.1", forwarded="203.0.113.9", username="wuxi")
    assert attempt("pw-12345678", ip="192.0.2.1", forwarded="203.0.113.77", username="wuxi").status_code == 429
    assert attempt("pw-12345678", ip=PROXY, forwarded="203.0.113.9", username="wuxi").status_code == 302


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("198.51.100.7", "1.2.3.4", "198.51.100.7"),
        ("10.0.0.2", "1.2.3.4", "1.2.3.4"),
        ("10.0.0.2", "1.2.3.4, 5.6.7.8", "5.6.7.8"),
        ("10.0.0.2", "1.2.3.4, 10.0.0.3", "1.2.3.4"),
        ("10.0.0.2", "", "10.0.0.2"),
        ("10.0.0.2", "not-an-ip", "10.0.0.2"),
    ],
)
def test_client_ip(rf, remote, forwarded, expected):
    assert client_ip(rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)) == expected
