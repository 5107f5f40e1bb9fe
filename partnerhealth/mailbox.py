"""An e-mail backend for one machine: every message an ``.eml`` file, and one line on the console.

``EMAIL_URL=file:///path/to/folder`` selects it; ``scripts/run`` points it at
``var/mail/``. Each message is written whole (headers, plain text, HTML) as one
RFC 5322 file that any mail client opens, and one summary line (recipients,
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
from pathlib import Path

from django.core.mail import InvalidMailer
from django.core.mail.backends.base import BaseEmailBackend

_lock = threading.Lock()


def _slug(text: str, *, limit: int = 40) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].rstrip("-") or "message"


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
        content = message.message().as_bytes()
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
