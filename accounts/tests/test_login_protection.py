"""The client's address behind a proxy, password spraying, and what the login and error pages say."""

import pytest
from django.test import Client, RequestFactory

from accounts.network import client_ip
from assessments.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
PROXY = "172.18.0.5"


def attempt(username, password=PASSWORD, *, ip="203.0.113.9", forwarded=None):
    extra = {"REMOTE_ADDR": ip}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    client = Client(**extra)
    response = client.post("/accounts/login/", {"username": username, "password": password})
    return response, client


def logged_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


# --- the client's address ---------------------------------------------------------


def request_from(remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_without_a_trusted_proxy_the_client_is_the_peer_and_the_forwarded_header_is_ignored(settings):
    assert settings.TRUSTED_PROXY_COUNT == 0  # off by default
    assert client_ip(request_from("198.51.100.7", "10.9.9.9")) == "198.51.100.7"


def test_behind_trusted_proxies_the_client_is_the_address_the_outermost_proxy_saw(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # Whatever the client wrote on the left is ignored; the proxy appended the real address.
    assert client_ip(request_from(PROXY, "6.6.6.6, 198.51.100.7")) == "198.51.100.7"
    assert client_ip(request_from(PROXY, "2001:db8::1")) == "2001:db8::1"
    # No header or a garbled one: the peer (the proxy) is all we know.
    assert client_ip(request_from(PROXY)) == PROXY
    assert client_ip(request_from(PROXY, "not-an-address")) == PROXY

    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request_from("10.0.0.2", "6.6.6.6, 198.51.100.7, 10.0.0.1")) == "198.51.100.7"
    assert client_ip(request_from("10.0.0.2", "198.51.100.7")) == "10.0.0.2"


def test_behind_a_proxy_a_lockout_holds_the_attacker_and_not_everyone_behind_the_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="ana")

    for _ in range(3):
        attempt("ana", "wrong", ip=PROXY, forwarded="203.0.113.9")
    locked, _ = attempt("ana", ip=PROXY, forwarded="203.0.113.9")
    assert locked.status_code == 429

    real, _ = attempt("ana", ip=PROXY, forwarded="198.51.100.7")
    assert logged_in(real)


def test_without_a_trusted_proxy_a_forged_forwarded_header_does_not_escape_a_lockout(settings):
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="ana")
    for n in range(3):
        attempt("ana", "wrong", forwarded=f"192.0.2.{n}")
    locked, _ = attempt("ana", forwarded="192.0.2.99")
    assert locked.status_code == 429


# --- password spraying ------------------------------------------------------------


def test_four_wrong_passwords_on_each_of_five_accounts_lock_the_address_but_not_the_real_users():
    names = ["ana", "ben", "chloe", "dan", "eve"]
    for name in names:
        UserFactory(username=name)
    UserFactory(username="mallory")

    statuses = [attempt(name, "Summer2026!")[0].status_code for name in names for _ in range(4)]
    # No account reaches its own limit of 5; the address reaches its limit of 20 at the last try.
    assert statuses == [200] * 19 + [429]
    locked, _ = attempt("mallory")  # even a right password, on an account not tried yet
    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.content.decode()

    real, _ = attempt("ana", ip="198.51.100.7")
    assert logged_in(real)


def test_logging_in_to_ones_own_account_does_not_reset_a_spray():
    for name in ["ana", "ben", "chloe", "dan", "mallory"]:
        UserFactory(username=name)
    for name in ["ana", "ben", "chloe", "dan"]:
        for _ in range(4):
            attempt(name, "wrong")

    own, _ = attempt("mallory")
    assert logged_in(own)
    for _ in range(4):
        attempt("eve", "wrong")
    assert attempt("ana")[0].status_code == 429


def test_the_address_limit_is_its_own_setting(settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 6
    for name in ["ana", "ben", "chloe"]:
        UserFactory(username=name)
    for name in ["ana", "ben"]:
        for _ in range(3):
            attempt(name, "wrong")
    assert attempt("chloe")[0].status_code == 429


# --- what the pages say -----------------------------------------------------------


def test_the_lockout_page_says_how_long_it_lasts(settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = 15 / 60
    UserFactory(username="ana")
    for _ in range(2):
        attempt("ana", "wrong")

    page = attempt("ana")[0].content.decode()

    assert "Logging in from your address is paused for 15 minutes after repeated failed attempts." in page
    assert "Try again in 15 minutes; each attempt before then starts the wait again." in page


def test_an_empty_login_says_what_is_missing(client):
    response = client.post("/accounts/login/", {"username": "", "password": ""})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter your username and your password." in html
    assert "Enter your username.</div>" in html and "Enter your password.</div>" in html

    only_name = client.post("/accounts/login/", {"username": "ana", "password": ""}).content.decode()
    assert "Enter your password.</div>" in only_name and "Enter your username.</div>" not in only_name


def test_the_403_and_404_pages_keep_the_apps_navigation(settings):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(username="ana", role="account_manager"))

    forbidden = client.get("/dashboard/")
    assert forbidden.status_code == 403
    html = forbidden.content.decode()
    assert "You cannot open this page" in html
    assert '<nav class="navbar' in html and ">My check-ups</a>" in html and "Log out" in html

    missing = client.get("/partners/999999/")
    assert missing.status_code == 404
    html = missing.content.decode()
    assert "Page not found" in html and ">My check-ups</a>" in html and "No such partner" not in html

    anonymous = Client().get("/no-such-page/")
    assert anonymous.status_code == 404 and "Page not found" in anonymous.content.decode()
