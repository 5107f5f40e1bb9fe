"""The SSRF guard: what a webhook may call, checked at send time, without a database."""

from __future__ import annotations

import pytest

from integrations import network
from integrations.tests.receiver import Receiver


def fixed(*addresses):
    return lambda host, port: list(addresses)


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://127.0.0.1/hook", "127.0.0.1"),
        ("http://127.9.9.9:8080/hook", "127.9.9.9"),
        ("https://10.1.2.3/hook", "10.1.2.3"),
        ("http://192.168.0.10/", "192.168.0.10"),
        ("http://172.16.5.4/", "172.16.5.4"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://[::1]:8000/hook", "::1"),
        ("http://[fe80::1]/hook", "fe80::1"),
        ("http://[::ffff:127.0.0.1]/hook", "::ffff:127.0.0.1"),
        ("http://0.0.0.0/", "0.0.0.0"),  # noqa: S104
        ("http://224.0.0.1/", "224.0.0.1"),
        ("http://100.64.0.1/", "100.64.0.1"),
        ("http://240.0.0.1/", "240.0.0.1"),
    ],
)
def test_an_address_that_is_not_public_is_refused_with_the_reason(url, address):
    with pytest.raises(network.Refused, match=r"resolves to .*loopback, private or link-local address"):
        network.check(url, resolver=fixed("8.8.8.8"))


def test_a_name_that_resolves_to_loopback_is_refused_at_send_time():
    with pytest.raises(network.Refused, match=r"^hooks\.example\.com resolves to 127\.0\.0\.1, a loopback"):
        network.check("https://hooks.example.com/in", resolver=fixed("127.0.0.1"))


def test_a_name_with_one_private_address_among_public_ones_is_refused():
    with pytest.raises(network.Refused, match=r"resolves to 10\.0\.0\.7"):
        network.check("https://hooks.example.com/in", resolver=fixed("93.184.216.34", "10.0.0.7"))


def test_localhost_resolved_for_real_is_refused():
    with pytest.raises(network.Refused, match=r"^localhost resolves to (127\.0\.0\.1|::1), a loopback"):
        network.check("http://localhost:8000/")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/hook", r"Only http and https addresses can receive webhooks, not ftp:"),
        ("file:///etc/passwd", r"Only http and https addresses can receive webhooks, not file:"),
        ("gopher://example.com:70/", r"not gopher:"),
        ("example.com/hook", r"not this:"),
        ("http:///nohost", r"The address has no host name"),
        ("http://user:pw@example.com/", r"Put credentials in the secret"),
        ("http://example.com:99999/", r"not a valid URL"),
    ],
)
def test_only_http_and_https_urls_with_a_host_are_accepted(url, message):
    with pytest.raises(network.Refused, match=message):
        network.check(url, resolver=fixed("93.184.216.34"))


def test_a_host_that_cannot_be_found_is_refused():
    def nowhere(host, port):
        raise OSError("Name or service not known")

    with pytest.raises(network.Refused, match=r"The host nowhere\.invalid could not be found"):
        network.check("https://nowhere.invalid/", resolver=nowhere)


def test_a_public_address_is_pinned_to_what_was_checked():
    target = network.check("https://hooks.example.com:8443/in?x=1", resolver=fixed("93.184.216.34"))
    assert (target.scheme, target.host, target.port, target.path, target.address) == (
        "https",
        "hooks.example.com",
        8443,
        "/in?x=1",
        "93.184.216.34",
    )


def test_the_allow_list_opens_exactly_the_hosts_it_names():
    assert network.check("http://127.0.0.1:9/x", allowed_hosts=["127.0.0.1"]).address == "127.0.0.1"
    assert network.check("http://[::1]:9/x", allowed_hosts=["[::1]"]).address == "::1"
    target = network.check("http://crm.internal/x", allowed_hosts=["crm.internal"], resolver=fixed("10.0.0.5"))
    assert target.address == "10.0.0.5"
    with pytest.raises(network.Refused, match=r"10\.0\.0\.6"):
        network.check("http://other.internal/x", allowed_hosts=["crm.internal"], resolver=fixed("10.0.0.6"))
    with pytest.raises(network.Refused, match=r"127\.0\.0\.2"):
        network.check("http://127.0.0.2:9/x", allowed_hosts=["127.0.0.1"])


def test_the_post_goes_to_the_checked_address_with_the_name_in_the_host_header():
    """DNS rebinding: the name is looked up once, and the connection goes to that address. The
    resolver says 127.0.0.1 (allowed for this test); the name itself resolves nowhere."""
    receiver = Receiver().start()
    try:
        target = network.check(
            f"http://rebind.example.invalid:{receiver.port}/in",
            allowed_hosts=["rebind.example.invalid"],
            resolver=fixed("127.0.0.1"),
        )
        answer = network.post(target, b'{"ok":true}', {"Content-Type": "application/json"}, timeout=2)
        assert answer.status == 200
        headers, payload = receiver.bodies[0]
        assert headers["Host"] == f"rebind.example.invalid:{receiver.port}"
        assert payload == {"ok": True}
    finally:
        receiver.stop()
