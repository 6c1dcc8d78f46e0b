"""Fixtures for the web tests: a real server on a free port (werkzeug, in a thread) over the test
database, Debian's Chromium driven by Playwright, and helpers to sign personas in.

Browser tests never download a browser: they use /usr/bin/chromium. Without it they fail when
CI=true (so CI cannot silently skip them) and are skipped otherwise."""
from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.support import PASSWORD
from tests.web.helpers import form_token

# Assertions wait as long as actions do (15 s, below): a loaded CI machine renders the studio slowly.
expect.set_options(timeout=15_000)

CHROMIUM = Path(os.environ.get("GOVFLOW_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--lang=zh-CN"]  # Chinese browser chrome too (文件选择按钮), as on the staff's computers


class LiveServer:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="govflow-test-server", daemon=True)

    def start(self) -> "LiveServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(session_ctx, settings):
    from web.app import create_app
    app = create_app(settings, context=session_ctx)
    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.is_file():
        message = (f"Chromium not found at {CHROMIUM}: install it with `apt-get install -y chromium` "
                   "(the browser tests never download one)")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
    except Exception:
        playwright.stop()
        raise
    yield chromium
    chromium.close()
    playwright.stop()


class Browsing:
    """Opens a fresh browser context per persona (its own cookies) and signs them in."""

    def __init__(self, browser, server: LiveServer, people):
        self.browser, self.server, self.people = browser, server, people
        self.contexts = []
        self.script_errors: list[str] = []  # JavaScript exceptions and CSP violations on any page

    def sign_in(self, who: str, password: str = PASSWORD, width: int = 1366, height: int = 900):
        getattr(self.people, who)  # make sure the persona exists
        context = self.browser.new_context(base_url=self.server.url, locale="zh-CN",
                                           timezone_id="Asia/Shanghai", accept_downloads=True,
                                           viewport={"width": width, "height": height})
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        page = context.new_page()
        self.watch(page)
        page.goto("/login")
        page.get_by_label("用户名").fill(who)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r".*/$"))
        return page

    def watch(self, page) -> None:
        page.on("pageerror", lambda error: self.script_errors.append(str(error)))
        page.on("console", lambda message: self.script_errors.append(message.text)
                if message.type == "error" and "Failed to load resource" not in message.text else None)

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def browsing(browser, live_server, people):
    session = Browsing(browser, live_server, people)
    yield session
    session.close()


@pytest.fixture
def sign_in(app, people):
    """`sign_in("alice")`: a Flask test client of its own, signed in as alice."""
    def make(who: str):
        if who in people.table:
            getattr(people, who)  # personas are created on first use
        client = app.test_client()
        token = form_token(client.get("/login").get_data(as_text=True))
        response = client.post("/login", data={"username": who, "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 303, response.get_data(as_text=True)
        return client
    return make
