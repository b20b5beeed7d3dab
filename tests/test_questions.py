"""copier.yml: good answers render, bad answers are refused with a message."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import Render

BAD_ANSWERS = [
    ({"project_name": ""}, "must not be empty"),
    ({"project_name": "   "}, "must not be empty"),
    ({"project_name": "Two\nlines"}, "printable"),
    ({"project_name": "x" * 81}, "at most 80"),
    ({"project_slug": "My App"}, "^[a-z][a-z0-9-]*[a-z0-9]$"),
    ({"project_slug": "1api"}, "starting with a letter"),
    ({"project_slug": "api-"}, "^[a-z][a-z0-9-]*[a-z0-9]$"),
    ({"project_slug": "my_api"}, "^[a-z][a-z0-9-]*[a-z0-9]$"),
    ({"project_slug": "my--api"}, "two dashes"),
    ({"project_slug": "a" * 41}, "at most 40 characters"),
    ({"package_name": "class"}, "Python keyword"),
    ({"package_name": "None"}, "lowercase ASCII"),
    ({"package_name": "my-api"}, "Python identifier in lowercase ASCII"),
    ({"package_name": "1api"}, "Python identifier in lowercase ASCII"),
    ({"package_name": "MyApi"}, "lowercase ASCII"),
    ({"package_name": "café"}, "lowercase ASCII"),
    ({"package_name": "a" * 41}, "at most 40 characters"),
    ({"package_name": "json"}, "standard-library or dependency module"),
    ({"package_name": "asyncio"}, "standard-library or dependency module"),
    ({"package_name": "fastapi"}, "standard-library or dependency module"),
    ({"package_name": "sqlmodel"}, "standard-library or dependency module"),
    ({"package_name": "tests"}, "standard-library or dependency module"),
    ({"description": "one\ntwo"}, "single line"),
    ({"description": " "}, "must not be empty"),
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
    with pytest.raises(ValueError, match=re.escape(message)):
        render(dest, **answers)
    assert not dest.exists()


def test_bad_answer_on_the_command_line(template_dir: Path, tmp_path: Path) -> None:
    dest = tmp_path / "project"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "copier",
            "copy",
            "--trust",
            "--defaults",
            "--data",
            "package_name=class",
            str(template_dir),
            str(dest),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
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
