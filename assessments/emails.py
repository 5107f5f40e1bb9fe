"""The one module that sends e-mail.

Callers hand over a template name, a recipient, a context and a Message-ID; this
module renders the subject / plain text / HTML trio under ``templates/emails/``
and sends it through the default mailer. Anything that goes wrong comes back as
``EmailError`` and nothing else, so the outbox has a single failure to handle.

The Message-ID is chosen by the caller from the outbox row, never generated
here: a retry of the same row carries the same Message-ID, so a recipient's
mail client (and our tests) can recognise a resend rather than see a new mail.
"""

from __future__ import annotations

import smtplib
import socket
from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.template.loader import render_to_string
from django.urls import reverse

# Failures that say "the mail server is not there", as opposed to "it refused
# this one message": the outbox stops its run on these instead of burning an
# attempt of every due row against a dead server.
_UNREACHABLE = (ConnectionError, socket.timeout, TimeoutError, smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)


class EmailError(Exception):
    """The message was not handed to the mail server."""

    def __init__(self, message: str, *, server_unreachable: bool = False):
        super().__init__(message)
        self.server_unreachable = server_unreachable


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def message_id_for(kind: str, pk: int) -> str:
    """A stable Message-ID for one outbox row, e.g. ``<alert-delivery-42@example.com>``."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "partnerhealth.localhost"
    return f"<{kind}-{pk}@{domain}>"


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def url_for(name: str, *args) -> str:
    """An absolute link (for an e-mail) to the page with this URL name."""
    return absolute_url(reverse(name, args=args))


def partner_url(partner_id: int) -> str:
    return url_for("partner_detail", partner_id)


def render(template: str, context: dict) -> RenderedEmail:
    context = {"site_url": settings.SITE_URL, **context}
    subject = render_to_string(f"emails/{template}_subject.txt", context)
    # A header cannot hold a newline; templates may end with one.
    subject = " ".join(subject.split())
    return RenderedEmail(
        subject=subject,
        text=render_to_string(f"emails/{template}.txt", context),
        html=render_to_string(f"emails/{template}.html", context),
    )


def send(*, template: str, to: str, context: dict, message_id: str) -> None:
    """Render and send one e-mail; raise ``EmailError`` if the server did not take it."""
    if not to:
        raise EmailError("the recipient has no e-mail address")
    rendered = render(template, context)
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": message_id},
    )
    message.attach_alternative(rendered.html, "text/html")
    try:
        with mailers.default as connection:
            sent = connection.send_messages([message])
    except _UNREACHABLE as error:
        raise EmailError(f"mail server unreachable: {error!r}", server_unreachable=True) from error
    except (smtplib.SMTPException, OSError, ValueError) as error:
        raise EmailError(f"mail server refused the message: {error!r}") from error
    if sent != 1:
        raise EmailError("the mail backend accepted no message")
