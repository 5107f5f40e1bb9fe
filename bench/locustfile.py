"""The simulated users of bench/load.py, driven by Locust (headless; bench/load.py starts it).

20 account managers log in and fill in their draft check-ups (1-3 s between
clicks, 5-15 s to fill in a form); 5 leadership users browse the dashboard,
partner pages and alerts (1-3 s between clicks). Each user takes its own login
from the JSON file named by PH_LOAD_DATA, which bench/load.py writes, and at the
end this process writes back what the exactly-once checks need: every check-up
whose submission the server accepted, and every failed request from the first
login on (Locust's own statistics restart once the last user has logged in).

Only GET 200 and the expected 302s count as success: a redirect to the login
page is a failure, not a page.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import gevent
from locust import HttpUser, between, events, task

DATA = json.loads(Path(os.environ["PH_LOAD_DATA"]).read_text())
THINK_SECONDS = (1.0, 3.0)
FORM_SECONDS = (5.0, 15.0)

_managers = iter(DATA["managers"])
_leaders = iter(DATA["leaders"])
_people = len(DATA["managers"]) + len(DATA["leaders"])
_logged_in = 0
accepted: list[int] = []
errors: list[str] = []


@events.request.add_listener
def _remember_failures(request_type, name, exception, **kwargs):
    if exception is not None:
        errors.append(f"{request_type} {name}: {exception}")


@events.quitting.add_listener
def _write_results(environment, **kwargs):
    Path(DATA["results"]).write_text(json.dumps({"accepted": accepted, "errors": errors}))


class Person(HttpUser):
    abstract = True
    wait_time = between(*THINK_SECONDS)

    def login(self, username: str) -> None:
        self.username = username
        self.rng = random.Random(username)
        self.page("/accounts/login/", "login page")
        with self.client.post(
            "/accounts/login/",
            {"username": username, "password": DATA["password"], "csrfmiddlewaretoken": self.csrf()},
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login answered {response.status_code}")
        global _logged_in
        _logged_in += 1
        if _logged_in == _people:
            # The ramp-up is over once everyone has logged in (login is slow on purpose: PBKDF2);
            # the figures count from here. Failures are kept from the start in ``errors``.
            self.environment.stats.reset_all()

    def csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")

    def page(self, path: str, name: str) -> None:
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{path} answered {response.status_code}")


class AccountManager(Person):
    fixed_count = len(DATA["managers"])

    def on_start(self):
        self.login(next(_managers))
        self.drafts = list(DATA["drafts"][self.username])
        self.page("/checkups/", "my check-ups")

    @task
    def fill_in_a_checkup(self):
        if not self.drafts:
            self.page("/checkups/", "my check-ups")
            return
        checkup_id = self.drafts.pop(0)
        self.page(f"/checkups/{checkup_id}/", "check-up form")
        gevent.sleep(self.rng.uniform(*FORM_SECONDS))
        answers = {
            f"answer__{address.replace('.', '__')}": str(
                self.rng.randint(0, 3) if scale == "intensity" else self.rng.choice([2, 3, 3, 4, 4, 5])
            )
            for address, scale in DATA["scales"].items()
        }
        answers.update({"action": "submit", "csrfmiddlewaretoken": self.csrf()})
        with self.client.post(
            f"/checkups/{checkup_id}/",
            answers,
            headers={"Referer": f"{self.host}/checkups/{checkup_id}/"},
            name="check-up submit",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 302 and "/result/" in response.headers.get("Location", ""):
                accepted.append(checkup_id)
            else:
                response.failure(f"submit answered {response.status_code}")
                return
        self.page(f"/checkups/{checkup_id}/result/", "check-up result")


class Leader(Person):
    fixed_count = len(DATA["leaders"])
    DASHBOARDS = (
        ("dashboard", "/dashboard/"),
        ("dashboard (declining)", "/dashboard/?declining=on"),
        ("dashboard (filtered)", "/dashboard/?segment=developing&sort=-change&page=2"),
    )

    def on_start(self):
        self.login(next(_leaders))

    @task
    def browse(self):
        name, path = self.rng.choice(self.DASHBOARDS)
        self.page(path, name)
        self.wait()
        self.page(f"/partners/{self.rng.choice(DATA['partner_ids'])}/", "partner page")
        self.wait()
        self.page("/alerts/", "alerts")
