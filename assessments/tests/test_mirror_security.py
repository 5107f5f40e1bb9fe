"""The public survey's defences: no enumeration, no crossing between partners, a rate limit, CSRF."""

import datetime as dt
import random
import statistics
import time

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from assessments.models import Contact, SurveyInvitation, SurveyResponse
from assessments.selectors.survey import opt_out_token, survey_token
from assessments.services.mirror import survey_invite
from assessments.tests.factories import PartnerFactory, UserFactory
from assessments.tests.mirror_factories import ContactFactory, partner_answers

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def invited(partner_name: str, **contact) -> tuple[SurveyInvitation, str]:
    owner = UserFactory(role="account_manager")
    partner = PartnerFactory(name=partner_name, owners=[owner])
    contact = ContactFactory(partner=partner, **contact)
    (invitation,) = survey_invite(user=owner, partner_id=partner.pk, contact_ids=[contact.pk])
    return invitation, survey_token(invitation)


def url(token: str) -> str:
    return reverse("survey_form", args=[token])


def form_post(answers: dict, action: str = "submit") -> dict:
    data = {f"q__{address.replace('.', '__')}": str(value) for address, value in answers.items()}
    data["action"] = action
    return data


@pytest.fixture
def failures(rubric_version):
    """A token of each kind that must not open the form, by what is wrong with it."""
    now = timezone.now()
    tokens = {"unknown": "A" * 43, "malformed": "not-a-token", "long": "x" * 3000}
    for kind, change in {
        "expired": {"expires_at": now - dt.timedelta(seconds=1)},
        "revoked": {"revoked_at": now},
        "used": {"responded_at": now},
    }.items():
        invitation, token = invited(f"Partner {kind}")
        SurveyInvitation.objects.filter(pk=invitation.pk).update(**change)
        tokens[kind] = token
    invitation, token = invited("Partner opted out")
    Contact.objects.filter(pk=invitation.contact_id).update(opted_out_at=now)
    tokens["opted_out"] = token
    return tokens


SAME_HEADERS = ("Content-Type", "Cache-Control", "Referrer-Policy", "X-Robots-Tag", "Content-Length")


def test_every_failing_token_gets_the_same_status_body_and_headers(failures):
    seen = {}
    for kind, token in failures.items():
        for method in ("get", "post"):
            response = getattr(Client(), method)(url(token), form_post(partner_answers()) if method == "post" else None)
            seen[(kind, method)] = (
                response.status_code,
                response.content,
                tuple(response.get(h) for h in SAME_HEADERS),
                sorted(response.cookies),
            )
    reference = seen[("unknown", "get")]
    assert reference[0] == 404
    assert b"This link does not open a survey" in reference[1]
    for key, value in seen.items():
        assert value == reference, f"{key} differs from an unknown token"
    # Nothing names a partner, a contact or a reason.
    for word in (b"Partner", b"revoked", b"Dana", b"opted", b"already answered"):
        assert word not in reference[1]


def test_failing_tokens_take_as_long_as_an_unknown_one(failures):
    """Each kind's fast quartile over many requests, in shuffled order, is within a few milliseconds of
    an unknown token's (the fast quartile: the CPU is shared, and a stall says nothing about the token).

    Every failure does the same work: hash the token, one indexed lookup of the hash, one template."""
    client = Client()
    kinds = list(failures)
    for token in failures.values():  # warm every path once
        client.get(url(token))
    timings = {kind: [] for kind in failures}
    shuffle = random.Random(15)
    for _ in range(60):
        shuffle.shuffle(kinds)
        for kind in kinds:
            start = time.perf_counter()
            client.get(url(failures[kind]))
            timings[kind].append(time.perf_counter() - start)
    quartiles = {kind: statistics.quantiles(values, n=4)[0] * 1000 for kind, values in timings.items()}
    unknown = quartiles["unknown"]
    print("fast quartile per failure kind (ms):", {kind: round(q, 2) for kind, q in quartiles.items()})
    for kind, quartile in quartiles.items():
        assert abs(quartile - unknown) < max(2.0, unknown * 0.5), f"{kind} vs unknown (ms): {quartiles}"


def test_a_token_reaches_only_its_own_partners_form(rubric_version):
    mine, my_token = invited("Acme Alliances", name="Dana Reyes")
    theirs, _ = invited("Globex Partners", name="Eve Other")
    page = Client().get(url(my_token)).content.decode()
    assert "Acme Alliances" in page
    assert "Globex Partners" not in page and "Eve Other" not in page

    # Whatever the POST claims, the token alone decides whose response it is.
    data = form_post(partner_answers(rating=1)) | {"invitation": theirs.pk, "partner": theirs.contact.partner_id}
    assert Client().post(url(my_token), data).status_code == 303
    assert SurveyResponse.objects.get().invitation == mine
    assert not SurveyResponse.objects.filter(invitation=theirs).exists()
    # The owners of the other partner see nothing of it.
    assert SurveyInvitation.objects.get(pk=theirs.pk).responded_at is None


def test_a_token_with_one_character_changed_opens_nothing(rubric_version):
    _, token = invited("Acme Alliances")
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert Client().get(url(flipped)).status_code == 404
    assert Client().get(url(token)).status_code == 200


@override_settings(SURVEY_RATE_LIMIT=5, SURVEY_RATE_WINDOW_SECONDS=600)
def test_the_rate_limit_holds_per_client_address(rubric_version):
    _, token = invited("Acme Alliances")
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    statuses = [attacker.get(url("B" * 43 + str(n))).status_code for n in range(5)]
    assert statuses == [404] * 5
    # Over the limit, even a valid link is refused, and so is the opt-out page.
    limited = attacker.get(url(token))
    assert limited.status_code == 429
    assert "Too many requests" in limited.content.decode()
    assert limited["Retry-After"] == "600"
    assert attacker.get(reverse("survey_opt_out", args=["x"])).status_code == 429
    # Another address is not affected.
    assert Client(REMOTE_ADDR="198.51.100.2").get(url(token)).status_code == 200


def test_the_forms_post_needs_its_csrf_token(rubric_version):
    _, token = invited("Acme Alliances")
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(url(token))
    assert page.status_code == 200
    refused = browser.post(url(token), form_post(partner_answers()))
    assert refused.status_code == 403
    assert not SurveyResponse.objects.exists()

    csrf = browser.cookies["csrftoken"].value
    accepted = browser.post(url(token), form_post(partner_answers()) | {"csrfmiddlewaretoken": csrf})
    assert accepted.status_code == 303
    assert SurveyResponse.objects.get().status == "submitted"


def test_the_opt_out_post_needs_its_csrf_token_and_a_forged_link_opens_nothing(rubric_version):
    invitation, _ = invited("Acme Alliances")
    link = reverse("survey_opt_out", args=[opt_out_token(invitation.contact_id)])
    browser = Client(enforce_csrf_checks=True)
    browser.get(link)
    assert browser.post(link).status_code == 403
    assert Contact.objects.get().opted_out_at is None
    forged = reverse("survey_opt_out", args=[str(invitation.contact_id)])
    response = Client().get(forged)
    assert response.status_code == 404
    assert response.content == Client().get(url("A" * 43)).content


def test_the_database_holds_no_working_link(rubric_version):
    invitation, token = invited("Acme Alliances")
    stored = " ".join(str(v) for v in SurveyInvitation.objects.values().get().values())
    assert token not in stored
    # The stored hash is not itself a token: used as one, it opens nothing.
    assert Client().get(url(invitation.token_hash)).status_code == 404
    assert Client().get(url(invitation.token_salt)).status_code == 404
