"""The one rate limiter: shared store, real client address behind trusted proxies."""

import pytest
from django.db import connection
from django.test import RequestFactory

from actors.ratelimit import ACCESS_REQUESTS, RateLimit, client_ip

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"


@pytest.fixture(autouse=True)
def proxies_on_the_private_network(settings):
    settings.TRUSTED_PROXY_ADDRESSES = ["10.0.0.0/24"]


def behind_proxy(forwarded: str):
    return RequestFactory().post("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


def test_without_trusted_proxies_the_socket_address_is_the_client(settings):
    settings.TRUSTED_PROXIES = 0
    assert client_ip(behind_proxy("203.0.113.7")) == PROXY


def test_behind_one_proxy_the_address_it_saw_is_the_client_whatever_was_forged(
    settings,
):
    settings.TRUSTED_PROXIES = 1
    assert client_ip(behind_proxy("203.0.113.7")) == "203.0.113.7"
    # A client writing its own X-Forwarded-For only adds entries before the real one.
    assert client_ip(behind_proxy("1.2.3.4, 203.0.113.7")) == "203.0.113.7"
    settings.TRUSTED_PROXIES = 2
    assert client_ip(behind_proxy("1.2.3.4, 203.0.113.7, 10.0.0.9")) == "203.0.113.7"


def test_a_forged_header_from_an_address_that_is_no_proxy_is_ignored(settings):
    settings.TRUSTED_PROXIES = 1
    direct = RequestFactory().post(
        "/", REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="203.0.113.7"
    )
    assert client_ip(direct) == "198.51.100.4"
    # Behind two proxies, the inner one must be a proxy too.
    settings.TRUSTED_PROXIES = 2
    assert client_ip(behind_proxy("203.0.113.7, 198.51.100.4")) == "198.51.100.4"
    # Rubbish where an address should be names nobody: the socket's address counts.
    settings.TRUSTED_PROXIES = 1
    assert client_ip(behind_proxy("unknown")) == PROXY


def test_forged_addresses_from_outside_share_the_sender_s_allowance(settings):
    settings.TRUSTED_PROXIES = 1
    settings.ACCESS_REQUESTS_PER_HOUR = 2
    forged = [
        RequestFactory().post(
            "/", REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}"
        )
        for n in range(3)
    ]
    assert [ACCESS_REQUESTS.hit(request) for request in forged] == [False, False, True]


def test_visitors_behind_the_proxy_get_their_own_allowance(settings):
    settings.TRUSTED_PROXIES = 1
    settings.ACCESS_REQUESTS_PER_HOUR = 2
    first, second = behind_proxy("203.0.113.7"), behind_proxy("198.51.100.4")
    assert [ACCESS_REQUESTS.hit(first) for _ in range(3)] == [False, False, True]
    assert ACCESS_REQUESTS.hit(second) is False


def test_counters_live_in_the_shared_database_table_for_the_whole_window():
    limit = RateLimit("test-shared", "ACCESS_REQUESTS_PER_HOUR")
    visitor = RequestFactory().post("/", REMOTE_ADDR="203.0.113.7")
    limit.hit(visitor)
    limit.hit(visitor)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), max(expires) - now() FROM terrain_cache"
            " WHERE cache_key LIKE %s",
            ["%ratelimit:test-shared:%"],
        )
        count, remaining = cursor.fetchone()
    # In the database, not in one process's memory: every worker sees the same count,
    # and the second hit did not shorten the counter's life to the cache's default.
    assert count == 1
    assert 300 < remaining.total_seconds() <= 3600
