"""Each variant, rendered and used as a user would: install it from its own
pyproject.toml into its own virtualenv, lint it, migrate it, run its tests."""

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import examples
import pytest
from apps import PASSWORD, create_user, credentials, request, running_app
from conftest import DatabaseServer, Render, run, uv_run, uv_sync
from servers import start_local_server
from variants import SERVER_DATABASES, SINGLE_SCHEMES, VARIANTS, Variant

pytestmark = pytest.mark.slow


def lint(project: Path) -> None:
    """ruff, and the strict type check the project's CI runs."""
    uv_run(project, "ruff", "check", ".")
    uv_run(project, "ruff", "format", "--check", ".")
    uv_run(project, "mypy")


def migrate_and_test(project: Path, database_url: str, test_url: str | None) -> str:
    """`alembic upgrade head` on a fresh database, `alembic check`, then the
    project's own tests; returns pytest's output."""
    uv_run(project, "alembic", "upgrade", "head", DATABASE_URL=database_url)
    uv_run(project, "alembic", "check", DATABASE_URL=database_url)
    output = uv_run(
        project,
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--cov",  # as the project's CI runs it: the coverage threshold holds
        **({"TEST_DATABASE_URL": test_url} if test_url else {}),
    )
    assert " passed" in output
    assert "Required test coverage" in output
    assert " failed" not in output
    # pytest's summary ("3 skipped"), not coverage's "files skipped" line.
    assert not re.search(r"\d+ skipped", output)
    return output


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.id for v in VARIANTS])
def test_variant(
    render: Render,
    database_server: DatabaseServer,
    tmp_path: Path,
    variant: Variant,
) -> None:
    database = variant.database
    project = render(tmp_path / "project", **variant.answers())
    uv_sync(project)
    lint(project)
    if database == "sqlite":
        # The tests make their own throwaway SQLite database.
        migrate_and_test(project, f"sqlite:///{tmp_path}/fresh.db", None)
        docs_examples_work(project, variant, f"sqlite:///{tmp_path}/fresh.db", tmp_path)
        return
    # Without a server the tests stop at once, saying how to get one.
    result = run(["uv", "run", "--no-sync", "pytest", "-q"], project)
    assert result.returncode == 4, result.stdout + result.stderr
    assert "TEST_DATABASE_URL=" in result.stdout + result.stderr
    assert "docker compose up -d db" in result.stdout + result.stderr
    # With one: a fresh database to migrate, another for the tests.
    server = database_server(database)
    label = variant.id
    database_url = server.create_database(f"{label}-migrate")
    migrate_and_test(project, database_url, server.create_database(f"{label}-tests"))
    docs_examples_work(project, variant, database_url, tmp_path)


def docs_examples_work(
    project: Path, variant: Variant, database_url: str, tmp_path: Path
) -> None:
    """The README's and docs' API examples, run against the migrated
    database by `fastapi run`, as a reader would run them."""
    env = {"DATABASE_URL": database_url}
    create_user(project, examples.USERNAME, examples.PASSWORD, **env)
    if "api_key" in variant.schemes:
        output = uv_run(
            project,
            "my-api",
            "create-api-key",
            examples.USERNAME,
            "--name",
            "docs",
            **env,
        )
        env["API_KEY"] = output.strip().splitlines()[-1]
    with running_app(project, **env) as base:
        ran = examples.run_examples(project, base, tmp_path / "examples", **env)
    assert "README.md:shell" in ran
    for scheme in variant.schemes:
        page = f"docs/auth-{scheme.replace('_', '-')}.md"
        assert f"{page}:python" in ran, ran


@pytest.mark.parametrize("auth", SINGLE_SCHEMES)
def test_quickstart(render: Render, tmp_path: Path, auth: str) -> None:
    """The rendered README's quickstart, with a real server and HTTP client."""
    project = render(tmp_path / "my-api", auth=auth)
    uv_sync(project)
    uv_run(project, "alembic", "upgrade", "head")
    create_user(project, "alice", PASSWORD)
    with running_app(project) as base:
        assert request(f"{base}/health") == (200, {"status": "ok"})
        assert request(f"{base}/health/ready")[0] == 200
        headers = credentials(project, base, auth)
        status, me = request(f"{base}/users/me", headers=headers)
        assert status == 200, me
        assert me["username"] == "alice"
        assert me["is_admin"] is True
        status, item = request(
            f"{base}/items", json_body={"title": "First item"}, headers=headers
        )
        assert status == 201, item
        status, items = request(f"{base}/items", headers=headers)
        assert status == 200
        assert [i["title"] for i in items] == ["First item"]
        status, error = request(f"{base}/users/me")
        assert status == 401
        assert error == {"detail": "Not authenticated"}


def test_session_in_a_browser(render: Render, tmp_path: Path) -> None:
    """The session scheme as a person meets it: sign in on the HTML page, see
    who is signed in, use the API with the cookie, sign out, and find the old
    cookie refused. A cookie jar that follows redirects plays the browser."""
    project = render(tmp_path / "my-api", auth="session")
    uv_sync(project)
    uv_run(project, "alembic", "upgrade", "head")
    create_user(project, "alice", PASSWORD)
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def visit(url: str, form: dict[str, str] | None = None) -> tuple[str, str]:
        body = urllib.parse.urlencode(form).encode() if form is not None else None
        with browser.open(url, data=body, timeout=30) as response:
            return response.url, response.read().decode()

    with running_app(project) as base:
        url, page = visit(f"{base}/account")
        assert url == f"{base}/login?next=%2Faccount"
        assert '<form method="post" action="/login"' in page
        url, page = visit(
            f"{base}/login",
            {"username": "alice", "password": PASSWORD, "next": "/account"},
        )
        assert url == f"{base}/account"
        assert "Signed in as <strong>alice</strong>" in page
        (cookie,) = list(jar)
        assert cookie.name == "session"
        assert cookie.has_nonstandard_attr("HttpOnly")
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match is not None
        headers = {"Cookie": f"session={cookie.value}", "X-CSRF-Token": match[1]}

        status, me = request(f"{base}/users/me", headers={"Cookie": headers["Cookie"]})
        assert (status, me["username"]) == (200, "alice")
        item = {"title": "From the browser"}
        status, _ = request(
            f"{base}/items", json_body=item, headers={"Cookie": headers["Cookie"]}
        )
        assert status == 403  # no CSRF token
        status, created = request(f"{base}/items", json_body=item, headers=headers)
        assert status == 201, created

        url, page = visit(f"{base}/logout", {"csrf_token": match[1]})
        assert url == f"{base}/login"
        assert list(jar) == []
        status, error = request(f"{base}/users/me", headers=headers)
        assert status == 401, error


def test_combined_on_one_server(render: Render, tmp_path: Path) -> None:
    """All four schemes in one app: /users/me answers to an API key, Basic
    credentials, a bearer token and a session cookie, one after the other,
    from the same running server."""
    project = render(
        tmp_path / "my-api", auth="combined", combined_schemes=SINGLE_SCHEMES
    )
    uv_sync(project)
    uv_run(project, "alembic", "upgrade", "head")
    create_user(project, "alice", PASSWORD)
    with running_app(project) as base:
        for scheme in SINGLE_SCHEMES:
            headers = credentials(project, base, scheme)
            status, me = request(f"{base}/users/me", headers=headers)
            assert status == 200, (scheme, me)
            assert me["username"] == "alice"
            status, item = request(
                f"{base}/items", json_body={"title": scheme}, headers=headers
            )
            assert status == 201, (scheme, item)
        assert request(f"{base}/users/me")[0] == 401
        status, items = request(f"{base}/items", headers=headers)
        assert sorted(i["title"] for i in items) == sorted(SINGLE_SCHEMES)


@pytest.mark.parametrize("database", SERVER_DATABASES)
def test_app_survives_a_database_restart(
    render: Render, tmp_path: Path, database: str
) -> None:
    """Stop the real server under a running app, then start it again: the app
    reports 503 meanwhile and recovers without a restart of its own."""
    project = render(tmp_path / "project", database=database)
    uv_sync(project)
    server = start_local_server(database)
    try:
        url = server.create_database("restart")
        uv_run(project, "alembic", "upgrade", "head", DATABASE_URL=url)
        create_user(project, "alice", PASSWORD, DATABASE_URL=url)
        with running_app(project, DATABASE_URL=url) as base:
            status, tokens = request(
                f"{base}/auth/token",
                {"username": "alice", "password": PASSWORD},
            )
            assert status == 200, tokens
            token = tokens["access_token"]
            # Fill the pool with connections that the restart will kill.
            for _ in range(5):
                assert request(f"{base}/users/me", token=token)[0] == 200
            assert request(f"{base}/health/ready")[0] == 200

            server.stop()
            assert request(f"{base}/health/ready") == (
                503,
                {"status": "unavailable", "database": "unavailable"},
            )
            assert request(f"{base}/users/me", token=token) == (
                503,
                {"detail": "Database unavailable"},
            )
            assert request(f"{base}/health")[0] == 200

            server.start()
            # Stale pooled connections are replaced, not handed to requests.
            for _ in range(10):
                status, me = request(f"{base}/users/me", token=token)
                assert status == 200, me
            assert request(f"{base}/health/ready")[0] == 200
    finally:
        server.close()
