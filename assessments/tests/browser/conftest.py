"""Playwright fixtures: Debian's chromium against Django's live server.

`playwright install` cannot run here, so the browser is the system chromium.
Screenshots land in artifacts/screenshots/ so a person can look at them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import service_missing

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
# How many pixels of a canvas are not fully transparent: 0 means nothing was drawn.
PAINTED = """(selector) => {
  const canvas = document.querySelector(selector);
  if (!canvas) { return -1; }
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] !== 0) { painted++; } }
  return painted;
}"""


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        service_missing(f"chromium not found at {CHROMIUM} (apt-get install chromium)")
    # Playwright's sync API runs an event loop; Django's async-unsafe guard must allow the ORM in tests.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    # Reduced motion: Bootstrap then drops its colour transitions, so a check right after a click
    # (axe's contrast rule) reads the final colours, never a half-faded button.
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, base_url=live_server.url, reduced_motion="reduce"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    # Anything the Content-Security-Policy refuses is a bug in our pages: fail the test.
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    yield page
    context.close()
    assert refused == [], f"the page broke its Content-Security-Policy: {refused}"


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page, *, impacts=("serious", "critical")) -> list[dict]:
    """Run the vendored axe-core on the page; return violations of the given impacts."""
    # Colours are read as they end, not mid-transition after the last click (see ``page``).
    page.emulate_media(reduced_motion="reduce")
    # Loaded from our own static files: the Content-Security-Policy refuses inline scripts.
    page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def login(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")
