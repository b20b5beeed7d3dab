"""copier.yml: good answers render, bad answers are refused with a message."""

import re
import subprocess
import sys
from pathlib import Path
from subprocess import CompletedProcess

import pytest
import yaml
from conftest import ROOT, Render

BAD_ANSWERS = [
    ({"project_name": ""}, "must not be empty"),
    ({"project_name": "   "}, "must not be empty"),
    ({"project_name": "Two\nlines"}, "printable"),
    ({"project_name": "x" * 81}, "at most 80"),
    ({"project_slug": "My App"}, "only a-z, 0-9 and dashes"),
    ({"project_slug": "1api"}, "start with a letter"),
    ({"project_slug": "api-"}, "not end with a dash"),
    ({"project_slug": "my_api"}, "only a-z, 0-9 and dashes"),
    ({"project_slug": "my--api"}, "two dashes"),
    ({"project_slug": "a" * 41}, "at most 40 characters"),
    ({"package_name": "class"}, "Python keyword"),
    ({"package_name": "None"}, "lowercase Python identifier"),
    ({"package_name": "my-api"}, "lowercase Python identifier"),
    ({"package_name": "1api"}, "lowercase Python identifier"),
    ({"package_name": "MyApi"}, "lowercase Python identifier"),
    ({"package_name": "café"}, "lowercase Python identifier"),
    ({"package_name": "a" * 41}, "at most 40 characters"),
    ({"package_name": "json"}, "stdlib or dependency module"),
    ({"package_name": "asyncio"}, "stdlib or dependency module"),
    ({"package_name": "fastapi"}, "stdlib or dependency module"),
    ({"package_name": "sqlmodel"}, "stdlib or dependency module"),
    ({"package_name": "tests"}, "stdlib or dependency module"),
    ({"description": "one\ntwo"}, "single line"),
    ({"description": " "}, "must not be empty"),
    ({"project_name": "日本語"}, "no ASCII letters to make a slug of"),
    ({"project_name": "---"}, "no ASCII letters to make a slug of"),
    ({"author_email": "not-an-email"}, "look like"),
    ({"author_email": "a@b"}, "look like"),
    ({"author_email": "a b@example.com"}, "look like"),
    ({"auth": "oauth"}, "Invalid choice"),
    ({"database": "oracle"}, "Invalid choice"),
]
BAD_ANSWERS += [
    ({"auth": "combined", "combined_schemes": schemes}, "at least two")
    for schemes in (["jwt"], [], ["jwt", "jwt"])
]


@pytest.mark.parametrize(
    ("answers", "message"), BAD_ANSWERS, ids=[repr(a) for a, _ in BAD_ANSWERS]
)
def test_bad_answers_are_refused(
    render: Render, tmp_path: Path, answers: dict, message: str
) -> None:
    dest = tmp_path / "project"
    with pytest.raises(ValueError, match=re.escape(message)) as raised:
        render(dest, **answers)
    assert not dest.exists()
    # The message alone fits an 80-column terminal.
    if "Validation error" in str(raised.value):
        assert len(str(raised.value).split(": ", 1)[1].strip()) <= 80


def test_a_name_without_ascii_letters_takes_a_typed_slug(
    render: Render, tmp_path: Path
) -> None:
    dest = render(tmp_path / "project", project_name="日本語", project_slug="nihongo")
    answers = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    assert answers["package_name"] == "nihongo"
    assert "日本語" in (dest / "README.md").read_text()


def test_combined_schemes_have_readable_labels() -> None:
    questions = yaml.safe_load((ROOT / "copier.yml").read_text())
    choices = questions["combined_schemes"]["choices"]
    assert sorted(choices.values()) == ["api_key", "basic", "jwt", "session"]
    assert all(" " in label for label in choices)


def copier_copy(template_dir: Path, dest: Path, answer: str) -> CompletedProcess[str]:
    """`copier copy --defaults --data ANSWER` as a user types it (no --trust)."""
    command = [sys.executable, "-m", "copier", "copy", "--defaults"]
    return subprocess.run(
        [*command, "--data", answer, str(template_dir), str(dest)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_bad_answer_on_the_command_line(template_dir: Path, tmp_path: Path) -> None:
    dest = tmp_path / "project"
    result = copier_copy(template_dir, dest, "package_name=class")
    assert result.returncode != 0
    assert "Python keyword" in result.stderr
    assert not dest.exists()


def test_defaults(render: Render, tmp_path: Path) -> None:
    dest = render(tmp_path / "project")
    answers = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    assert {name: answers[name] for name in answers if not name.startswith("_")} == {
        "project_name": "My API",
        "project_slug": "my-api",
        "package_name": "my_api",
        "description": "My API: a FastAPI service.",
        "author_name": "Your Name",
        "author_email": "you@example.com",
        "auth": "jwt",
        "database": "sqlite",
        "self_signup": False,
    }
    assert "_src_path" in answers
    assert (dest / "src" / "my_api" / "main.py").is_file()


def test_names_are_derived_from_the_project_name(
    render: Render, tmp_path: Path
) -> None:
    dest = render(tmp_path / "project", project_name="  Ünïcode & Co. Billing API!  ")
    answers = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    assert answers["project_slug"] == "n-code-co-billing-api"
    assert answers["package_name"] == "n_code_co_billing_api"
    assert (dest / "src" / "n_code_co_billing_api").is_dir()


def test_secrets_are_not_asked_or_stored(render: Render, tmp_path: Path) -> None:
    dest = render(tmp_path / "project")
    answers = (dest / ".copier-answers.yml").read_text().lower()
    assert "secret" not in answers
    assert "password" not in answers


@pytest.mark.parametrize("database", ["sqlite", "postgresql", "mysql"])
def test_next_steps_fit_the_database(
    template_dir: Path, tmp_path: Path, database: str
) -> None:
    result = copier_copy(template_dir, tmp_path / "project", f"database={database}")
    assert result.returncode == 0, result.stderr
    message = result.stderr + result.stdout
    steps = message[message.index("Next steps:") :]
    assert "uv sync --locked" in steps
    server_steps = ("cp .env.example .env", "docker compose up -d db")
    if database == "sqlite":
        assert not any(step in steps for step in server_steps)
    else:
        # The database runs before the first migration.
        assert steps.index("docker compose up -d db") < steps.index("alembic upgrade")
        assert all(step in steps for step in server_steps)


@pytest.mark.parametrize("auth", ["basic", "jwt", "session"])
def test_self_signup_renders_sign_up_where_people_have_passwords(
    render: Render, tmp_path: Path, auth: str
) -> None:
    dest = render(tmp_path / "project", auth=auth, self_signup=True)
    answers = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    assert answers["self_signup"] is True
    package = dest / "src" / "my_api"
    assert "/register" in (package / "api" / "accounts.py").read_text()
    assert (package / "emails" / "verify-email.txt").is_file()


def test_self_signup_is_not_asked_without_a_password_scheme(
    render: Render, tmp_path: Path
) -> None:
    """API keys alone have no password to sign up with: the question is
    skipped, and an answer given anyway changes nothing."""
    plain = render(tmp_path / "plain", auth="api_key")
    forced = render(tmp_path / "forced", auth="api_key", self_signup=True)
    answers = yaml.safe_load((forced / ".copier-answers.yml").read_text())
    assert "self_signup" not in answers
    for path in plain.rglob("*"):
        if path.is_file() and path.name != ".copier-answers.yml":
            twin = forced / path.relative_to(plain)
            assert twin.read_bytes() == path.read_bytes(), path
    assert not (plain / "src" / "my_api" / "accounts.py").exists()
