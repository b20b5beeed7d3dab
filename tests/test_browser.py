"""Rendered projects in a real browser: Swagger UI's Authorize and Execute
for every scheme, and the sign-in pages of session variants.

Each variant is rendered on SQLite, installed from its own lock, migrated,
given an admin (alice) and served by `fastapi run`, as its README says.
Playwright drives Debian's Chromium (`/usr/bin/chromium`, or `$CHROMIUM`),
never a downloaded browser. When a test fails, a screenshot of every step it
took is saved under `browser-artifacts/<test>/` (CI uploads the folder).

    uv run pytest -m browser
"""

import contextlib
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from apps import PASSWORD, create_user, serving
from axe_playwright_python.sync_playwright import Axe
from conftest import ROOT, Render, uv_run, uv_sync
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = ROOT / "browser-artifacts"
USERNAME = "alice"
# The variants the browser tests render: each scheme alone, and all four.
BROWSER_VARIANTS = {
    "api_key": {"auth": "api_key"},
    "basic": {"auth": "basic"},
    "jwt": {"auth": "jwt"},
    "session": {"auth": "session"},
    "combined": {
        "auth": "combined",
        "combined_schemes": ["api_key", "basic", "jwt", "session"],
    },
}
EXPECTED_STATUS = re.compile(r"^Failed to load resource: .* status of 40[13] ")
# axe-core impacts that fail a page.
BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's package (apt-get install "
            "chromium) or set CHROMIUM to a Chromium binary"
        )
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=["--no-sandbox"]
    )
    yield browser
    browser.close()


class Steps:
    """The steps of one test, each with a screenshot; all of them are written
    to `browser-artifacts/` if a step fails."""

    def __init__(self, name: str) -> None:
        self.name = re.sub(r"[^\w.-]+", "_", name)
        self.shots: list[tuple[str, bytes]] = []
        self.taken: list[str] = []

    @contextlib.contextmanager
    def __call__(self, title: str, page: Page) -> Iterator[None]:
        try:
            yield
        except BaseException:
            with contextlib.suppress(Exception):
                self.shots.append(
                    (f"{title} (failed)", page.screenshot(full_page=True))
                )
            self.save()
            raise
        self.taken.append(title)
        self.shots.append((title, page.screenshot()))

    def save(self) -> None:
        folder = ARTIFACTS / self.name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for number, (title, png) in enumerate(self.shots, start=1):
            slug = re.sub(r"[^\w]+", "-", title).strip("-").lower()
            (folder / f"{number:02d}-{slug}.png").write_bytes(png)


class Console:
    """Errors a page logs (CSP violations among them) and uncaught exceptions."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        page.on("console", self._message)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def _message(self, message: ConsoleMessage) -> None:
        # Chromium logs every 4xx it receives; the 401s and 403s the tests
        # ask for are answers, not errors of the page.
        if message.type == "error" and not EXPECTED_STATUS.search(message.text):
            self.errors.append(f"{message.text} ({message.location.get('url')})")


@pytest.fixture
def steps(request: pytest.FixtureRequest) -> Steps:
    return Steps(request.node.name)


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., tuple[Page, Console]]]:
    """A page in a fresh browser context (no cookies, nothing authorized)."""
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> tuple[Page, Console]:
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        return page, Console(page)

    yield make
    for context in contexts:
        context.close()


# --- Swagger UI --------------------------------------------------------------


def open_docs(page: Page, base: str) -> None:
    page.goto(f"{base}/docs")
    expect(page.locator(".opblock").first).to_be_visible()


def operation(page: Page, tag: str, operation_id: str) -> Locator:
    """An operation's block in Swagger UI (ids are `operations-<tag>-<id>`)."""
    return page.locator(f"#operations-{tag}-{operation_id}")


def execute(
    page: Page, tag: str, operation_id: str, body: str | None = None
) -> tuple[int, str]:
    """Expand the operation, Try it out, type the body (if it has one; else
    the example is sent), Execute; returns the status and body Swagger shows.

    Every step waits for what the last one renders: Swagger UI draws an
    expanded operation a moment after the click, and on a busy machine that
    moment is long enough for a look that does not wait to find nothing."""
    block = operation(page, tag, operation_id)
    expect(block).to_be_visible()
    if not block.locator(".opblock-body").is_visible():
        block.locator(".opblock-summary").click()
    # "Try it out", or "Cancel" once it is on ("Reset" may stand beside it).
    toggle = block.locator("button.try-out__btn:not(.reset)")
    expect(toggle).to_be_visible()
    if "cancel" not in (toggle.get_attribute("class") or ""):
        toggle.click()
    run = block.locator("button.execute")
    expect(run).to_be_visible()
    editor = block.locator("textarea.body-param__text")
    if body is not None and editor.count():
        editor.fill(body)
    clear = block.locator("button.btn-clear")
    if clear.count():
        clear.click()
        expect(clear).to_have_count(0)
    run.click()
    status = block.locator(".live-responses-table .response .response-col_status")
    expect(status).to_be_visible()
    shown = block.locator(".live-responses-table .response-col_description pre")
    text = shown.first.inner_text() if shown.count() else ""
    return int(status.inner_text().strip()), text


def authorize(page: Page, scheme: str, fields: dict[str, str]) -> None:
    """Fill one scheme's form in the Authorize dialog and apply it."""
    page.locator(".auth-wrapper button.authorize").click()
    form = page.locator(".modal-ux .auth-container").filter(
        has=page.locator("h4", has_text=scheme)
    )
    for selector, value in fields.items():
        form.locator(selector).fill(value)
    form.get_by_role("button", name=re.compile(r"^Apply ")).click()
    expect(form.get_by_role("button", name="Remove authorization")).to_be_visible()
    page.locator(".modal-ux .close-modal").click()


def sees_alice(page: Page, body: str) -> None:
    assert f'"username": "{USERNAME}"' in body, body


def swagger_without_a_credential(steps: Steps, page: Page, base: str) -> None:
    with steps("docs: GET /users/me without Authorize is 401", page):
        open_docs(page, base)
        status, body = execute(page, "users", "users-read_me")
        assert status == 401, body


def swagger_api_key(steps: Steps, page: Page, base: str, key: str) -> None:
    swagger_without_a_credential(steps, page, base)
    with steps("docs: Authorize with the API key", page):
        authorize(page, "APIKeyHeader", {"input": key})
    with steps("docs: GET /users/me with the API key is 200", page):
        status, body = execute(page, "users", "users-read_me")
        assert status == 200, body
        sees_alice(page, body)


def swagger_basic(steps: Steps, page: Page, base: str) -> None:
    swagger_without_a_credential(steps, page, base)
    with steps("docs: Authorize with HTTP Basic", page):
        authorize(
            page,
            "HTTPBasic",
            {"#auth-basic-username": USERNAME, "#auth-basic-password": PASSWORD},
        )
    with steps("docs: GET /users/me with Basic is 200", page):
        status, body = execute(page, "users", "users-read_me")
        assert status == 200, body
        sees_alice(page, body)


def swagger_jwt(steps: Steps, page: Page, base: str) -> None:
    swagger_without_a_credential(steps, page, base)
    with steps("docs: Authorize with the OAuth2 password flow", page):
        authorize(
            page,
            "OAuth2PasswordBearer",
            {"#oauth_username": USERNAME, "#oauth_password": PASSWORD},
        )
    with steps("docs: GET /users/me with the bearer token is 200", page):
        status, body = execute(page, "users", "users-read_me")
        assert status == 200, body
        sees_alice(page, body)
    with steps("docs: POST /items with the bearer token is 201", page):
        status, body = execute(page, "items", "items-create_item")
        assert status == 201, body


def sign_in_on_the_page(page: Page, base: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(USERNAME)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def session_pages(steps: Steps, page: Page, base: str) -> None:
    with steps("pages: sign in on /login, land on /account", page):
        sign_in_on_the_page(page, base)
        expect(page).to_have_url(f"{base}/account")
        expect(page.locator("main")).to_contain_text(f"Signed in as {USERNAME}")
    with steps("pages: sign out, back on /login", page):
        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(f"{base}/login")
        page.goto(f"{base}/account")
        expect(page).to_have_url(re.compile(r"/login\?next=%2Faccount$"))


def swagger_session(steps: Steps, page: Page, base: str) -> None:
    swagger_without_a_credential(steps, page, base)
    with steps("docs: signed in on /login, the cookie authenticates GET", page):
        sign_in_on_the_page(page, base)
        expect(page).to_have_url(f"{base}/account")
        open_docs(page, base)
        status, body = execute(page, "users", "users-read_me")
        assert status == 200, body
        sees_alice(page, body)
    with steps("docs: POST /items with the cookie but no CSRF token is 403", page):
        status, body = execute(page, "items", "items-create_item")
        assert status == 403, body
        assert "CSRF" in body, body
    with steps("docs: POST /auth/login in Try it out fills in the CSRF token", page):
        login = f'{{"username": "{USERNAME}", "password": "{PASSWORD}"}}'
        status, body = execute(page, "auth", "auth-login", body=login)
        assert status == 200, body
        page.locator(".auth-wrapper button.authorize").click()
        csrf = page.locator(".modal-ux .auth-container").filter(
            has=page.locator("h4", has_text="CSRFToken")
        )
        expect(csrf.locator("h6", has_text="Authorized")).to_be_visible()
        page.locator(".modal-ux .close-modal").click()
    with steps("docs: POST /items with the cookie and the CSRF token is 201", page):
        status, body = execute(page, "items", "items-create_item")
        assert status == 201, body
    with steps("docs: POST /auth/logout signs out; GET /users/me is 401", page):
        # No body: where a refresh token may go instead, none is sent.
        status, body = execute(page, "auth", "auth-logout", body="")
        assert status == 204, body
        status, body = execute(page, "users", "users-read_me")
        assert status == 401, body


# --- the HTML pages ----------------------------------------------------------


def accessible(page: Page) -> None:
    """No serious or critical axe-core violation on the page."""
    results = Axe().run(page)
    blocking = [
        f"{violation['id']} ({violation['impact']}): {violation['help']}"
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]
    assert not blocking, blocking


def fits(page: Page, width: int) -> None:
    """No horizontal scrolling, and the form lies wholly in the viewport."""
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{scroll_width}px of content in {width}px"
    box = page.locator("main form").last.bounding_box()
    assert box is not None
    assert box["x"] >= 0, box
    assert box["x"] + box["width"] <= width, box
    # Inputs are usable, not squeezed: most of a phone's width.
    for field in page.locator("main input:visible").all():
        field_box = field.bounding_box()
        assert field_box is not None
        assert field_box["width"] >= min(width - 64, 280), field_box


def pages_are_accessible(steps: Steps, new_page: Callable[..., Any], base: str) -> None:
    for width, height in [(375, 740), (1280, 800)]:
        page, console = new_page(viewport={"width": width, "height": height})
        with steps(f"pages {width}px: /login has labelled fields", page):
            page.goto(f"{base}/login")
            username = page.get_by_label("Username")
            password = page.get_by_label("Password")
            expect(username).to_have_attribute("autocomplete", "username")
            expect(password).to_have_attribute("autocomplete", "current-password")
            expect(password).to_have_attribute("type", "password")
        with steps(f"pages {width}px: focus moves username, password, button", page):
            expect(username).to_be_focused()
            page.keyboard.press("Tab")
            expect(password).to_be_focused()
            page.keyboard.press("Tab")
            expect(page.get_by_role("button", name="Sign in")).to_be_focused()
        with steps(f"pages {width}px: /login fits and passes axe", page):
            fits(page, width)
            accessible(page)
        with steps(f"pages {width}px: a wrong password is announced", page):
            sign_in_on_the_page(page, base, password="not the password at all")
            alert = page.get_by_role("alert")
            expect(alert).to_have_text("Incorrect username or password.")
            expect(page.get_by_label("Password")).to_be_focused()
            expect(page.locator("main form")).to_have_attribute(
                "aria-describedby", "form-error"
            )
            fits(page, width)
            accessible(page)
        with steps(f"pages {width}px: /account fits and passes axe", page):
            sign_in_on_the_page(page, base)
            expect(page).to_have_url(f"{base}/account")
            fits(page, width)
            accessible(page)
        with steps(f"pages {width}px: no console errors or CSP violations", page):
            assert console.errors == [], console.errors


# --- the variants ------------------------------------------------------------


@pytest.fixture(params=list(BROWSER_VARIANTS))
def served(
    request: pytest.FixtureRequest, render: Render, tmp_path: Path
) -> Iterator[tuple[str, tuple[str, ...], dict[str, str]]]:
    """A rendered variant, migrated and served; yields its URL, its schemes
    and the credentials the README's steps give (alice, her API key)."""
    answers = BROWSER_VARIANTS[request.param]
    project = render(tmp_path / "project", **answers)
    uv_sync(project)
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/app.db"}
    uv_run(project, "alembic", "upgrade", "head", **env)
    create_user(project, USERNAME, PASSWORD, **env)
    schemes = tuple(answers.get("combined_schemes", [answers["auth"]]))
    credentials = {}
    if "api_key" in schemes:
        output = uv_run(
            project, "my-api", "create-api-key", USERNAME, "--name", "browser", **env
        )
        credentials["api_key"] = output.strip().splitlines()[-1]
    with serving(project, **env) as (base, _):
        yield base, schemes, credentials


def test_swagger_and_pages_in_chromium(
    served: tuple[str, tuple[str, ...], dict[str, str]],
    new_page: Callable[..., tuple[Page, Console]],
    steps: Steps,
) -> None:
    base, schemes, credentials = served
    for scheme in schemes:
        page, console = new_page()
        if scheme == "api_key":
            swagger_api_key(steps, page, base, credentials["api_key"])
        elif scheme == "basic":
            swagger_basic(steps, page, base)
        elif scheme == "jwt":
            swagger_jwt(steps, page, base)
        else:
            session_pages(steps, page, base)
            swagger_session(steps, page, base)
        with steps(f"docs ({scheme}): no console errors or CSP violations", page):
            assert console.errors == [], console.errors
    if "session" in schemes:
        pages_are_accessible(steps, new_page, base)
    print(f"\n{len(steps.taken)} steps:", *steps.taken, sep="\n  ")
