"""An e-mail backend for one machine: every message an ``.eml`` file, and one line on the console.

``EMAIL_URL=file:///path/to/folder`` selects it; ``scripts/run`` points it at
``var/mail/``. Each message is written whole (headers, plain text, HTML) as one
``.eml`` file that any mail client opens and, its text parts in plain UTF-8
rather than quoted-printable, any pager shows; and one summary line (recipients,
subject, file) goes to the process's standard output: the web process and the
Celery worker both print there, whatever Celery does with ``sys.stdout``.

Django's own file backend appends every message of a connection to one
``.log`` file with separators, and its console backend prints raw MIME
(quoted-printable bodies, encoded subjects): neither is readable.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import sys
import threading
from email import policy
from email.message import EmailMessage
from pathlib import Path

from django.core.mail import InvalidMailer
from django.core.mail.backends.base import BaseEmailBackend

_lock = threading.Lock()


def _slug(text: str, *, limit: int = 40) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].rstrip("-") or "message"


# UTF-8 headers as written (RFC 6532), folded only past RFC 5322's hard limit of 998 characters,
# LF line ends: a file to read, not an SMTP conversation.
_FILE_POLICY = policy.default.clone(utf8=True, max_line_length=998)


def _legible(message: EmailMessage) -> bytes:
    """The message with its text parts in plain UTF-8 (8bit), so a pager shows it as well as a mail client.

    Django encodes bodies as quoted-printable or base64 and subjects as =?utf-8?…?= words, which
    is right on the wire but unreadable in a file.
    """
    for part in message.walk():
        encoding = str(part.get("Content-Transfer-Encoding", "")).lower()
        if part.get_content_maintype() != "text" or part.is_attachment() or encoding not in {"quoted-printable", "base64"}:
            continue
        try:
            part.set_content(part.get_content(), subtype=part.get_content_subtype(), charset="utf-8", cte="8bit")
        except ValueError:
            continue  # a line too long for 8bit: keep the part as Django encoded it
        if part is not message:
            del part["MIME-Version"]  # set_content adds it; it belongs on the message only
    return message.as_bytes(policy=_FILE_POLICY)


def _shown(path: Path) -> str:
    """The file as a person would type it: relative to the current folder when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class EmailBackend(BaseEmailBackend):
    def __init__(self, *, file_path: str | None = None, alias=None, **kwargs):
        super().__init__(alias=alias, **kwargs)
        if not file_path:
            raise InvalidMailer("OPTIONS must define 'file_path'.", alias=alias)
        self.folder = Path(file_path).resolve()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise InvalidMailer(f"Could not create the mail folder {self.folder}: {error}", alias=alias) from error

    def write(self, message) -> Path:
        """Write one message to its own file (whole or not at all); return the file."""
        content = _legible(message.message())
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        path = self.folder / f"{stamp}-{_slug(str(message.subject))}-{secrets.token_hex(3)}.eml"
        partial = path.with_suffix(".part")
        with open(partial, "xb") as handle:
            handle.write(content)
        # A reader (or a test) never sees half a message.
        partial.replace(path)
        return path

    def send_messages(self, email_messages) -> int:
        sent = 0
        for message in email_messages:
            path = self.write(message)
            recipients = ", ".join(message.recipients())
            line = f"e-mail to {recipients}: {message.subject} -> {_shown(path)}\n"
            # sys.__stdout__: the Celery worker replaces sys.stdout with a logger.
            stream = sys.__stdout__ or sys.stdout
            with _lock:
                stream.write(line)
                stream.flush()
            sent += 1
        return sent
