"""The embedded setup (scripts/run) keeps everything it writes under VAR_DIR."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Declares a queue on the filesystem broker and publishes one message, as a worker and the web do.
BROKER_ROUND_TRIP = """
import django
django.setup()
from django.conf import settings
from kombu import Connection, Exchange, Queue

with Connection(settings.CELERY_BROKER_URL, transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS) as conn:
    queue = Queue("celery", Exchange("celery"), "celery")
    queue(conn.channel()).declare()
    conn.Producer().publish({"hello": 1}, exchange=queue.exchange, routing_key="celery", declare=[queue])
"""


def test_the_filesystem_broker_keeps_its_control_folder_under_var_not_in_the_current_folder(tmp_path):
    var = tmp_path / "var"
    for folder in ("queue", "processed", "control"):
        (var / "broker" / folder).mkdir(parents=True)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "partnerhealth.settings",
        "DEBUG": "1",
        "VAR_DIR": str(var),
        "CELERY_BROKER_URL": "filesystem://",
    }
    work = tmp_path / "cwd"
    work.mkdir()

    subprocess.run([sys.executable, "-c", BROKER_ROUND_TRIP], cwd=work, env=env, check=True, timeout=60)

    assert list(work.iterdir()) == [], "nothing is written to the folder the command was started from"
    assert [p.name for p in (var / "broker" / "control").iterdir()] == ["celery.exchange"]
    assert len(list((var / "broker" / "queue").iterdir())) == 1
