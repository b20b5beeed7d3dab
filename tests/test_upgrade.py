"""A project generated from release v0.1.0, with users and keys in its
database, updated to this working tree: `copier update`, `uv sync`,
`alembic upgrade head`, and everything still works, with the new defences
and the accounts (the new question `self_signup` takes its default).

v0.1.0 is taken from this repository's history (the commit it was tagged
on), so the test exercises the upgrade path real projects take.
"""

import shutil
import sqlite3
import subprocess
from pathlib import Path

import copier
import pytest
import yaml
from apps import PASSWORD, create_user, request, running_app
from conftest import ROOT, DatabaseServer, check, uv_run, uv_sync
from test_update import as_a_user_project, commit_all, git, update
from variants import SERVER_DATABASES

pytestmark = pytest.mark.slow

OLD_RELEASE = "v0.1.0"
OLD_COMMIT = "021d3e1"  # the commit v0.1.0 was tagged on
NEW_RELEASE = "v0.2.0"
# The old release's policy allowed this; the new one refuses it for alice.
OLD_PASSWORD = "alice's password"


@pytest.fixture(scope="module")
def releases(template_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A template repository holding v0.1.0 as released and this tree as
    the next release."""
    repo = tmp_path_factory.mktemp("releases") / "repo"
    repo.mkdir()
    archive = subprocess.run(
        ["git", "archive", "--format=tar", OLD_COMMIT],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x"], cwd=repo, input=archive, check=True)
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, OLD_RELEASE)
    git(repo, "tag", OLD_RELEASE)
    for child in repo.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    shutil.copytree(template_dir, repo, dirs_exist_ok=True)
    commit_all(repo, NEW_RELEASE)
    git(repo, "tag", NEW_RELEASE)
    return repo


@pytest.mark.parametrize("database", ["sqlite", *SERVER_DATABASES])
def test_a_v0_1_0_project_upgrades_with_its_data(
    releases: Path,
    database_server: DatabaseServer,
    tmp_path: Path,
    database: str,
) -> None:
    project = tmp_path / "my-api"
    copier.run_copy(
        str(releases),
        project,
        data={
            "auth": "combined",
            "combined_schemes": ["api_key", "jwt"],
            "database": database,
        },
        vcs_ref=OLD_RELEASE,
        defaults=True,
        quiet=True,
        settings=copier.Settings(),
    )
    url = (
        f"sqlite:///{tmp_path}/app.db"
        if database == "sqlite"
        else database_server(database).create_database(f"upgrade-{database}")
    )
    env = {"DATABASE_URL": url, "SECRET_KEY": "k" * 48}
    uv_sync(project, locked=False)  # that release shipped no uv.lock
    as_a_user_project(project)  # uv.lock included, as users commit it
    uv_run(project, "alembic", "upgrade", "head", **env)
    create_user(project, "alice", OLD_PASSWORD, **env)
    old_key = uv_run(project, "my-api", "create-api-key", "alice", **env).split()[-1]

    update(project, NEW_RELEASE)
    # The user's own uv.lock meets the one the template ships from v0.2.0 on:
    # docs/updating.md's steps (keep yours, `uv lock`) resolve it.
    assert [p.name for p in project.rglob("*.rej")] == ["uv.lock.rej"]
    (project / "uv.lock.rej").unlink()
    check(["uv", "lock", "--quiet"], project)
    assert (project / "migrations/versions/0002_security_hardening.py").exists()
    assert (project / "migrations/versions/0003_accounts.py").exists()
    # The question this release added took its default.
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["self_signup"] is False
    uv_sync(project)
    uv_run(project, "alembic", "upgrade", "head", **env)
    uv_run(project, "alembic", "check", **env)
    if database == "sqlite":
        with sqlite3.connect(f"{tmp_path}/app.db") as connection:
            (ddl,) = connection.execute(
                "SELECT sql FROM sqlite_master WHERE name = 'users'"
            ).fetchone()
        assert "AUTOINCREMENT" in ddl

    with running_app(project, **env) as base:
        key = {"X-API-Key": old_key}
        status, me = request(f"{base}/users/me", headers=key)
        assert (status, me["username"]) == (200, "alice")
        # Users from before accounts existed count as verified; password
        # reset is there, sign-up is not (self_signup defaults to false).
        assert me["email_verified"] is True
        forgot = {"email": "alice@example.com"}
        assert request(f"{base}/auth/forgot-password", json_body=forgot)[0] == 202
        sign_up = {**forgot, "username": "mallory", "password": PASSWORD}
        assert request(f"{base}/auth/register", json_body=sign_up)[0] == 404
        # The key was made with every scope of its day; it keeps that power
        # under the new scopes (alice is an admin: admin included).
        status, keys = request(f"{base}/api-keys", headers=key)
        assert status == 200, keys
        assert keys[0]["scopes"] == ["account", "admin", "items:read", "items:write"]
        # The old password still signs in; a new one must meet the new rules.
        status, tokens = request(
            f"{base}/auth/token", {"username": "alice", "password": OLD_PASSWORD}
        )
        assert status == 200, tokens
        token = tokens["access_token"]
        change = {"current_password": OLD_PASSWORD, "new_password": "alice in chains"}
        status, _ = request(f"{base}/users/me/password", json_body=change, token=token)
        assert status == 422
        change["new_password"] = PASSWORD
        status, _ = request(f"{base}/users/me/password", json_body=change, token=token)
        assert status == 204
        assert request(f"{base}/users/me", token=token)[0] == 401
        assert request(f"{base}/users/me", headers=key)[0] == 200
