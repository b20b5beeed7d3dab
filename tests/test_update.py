"""`copier update` as users run it: a project rendered from one release, committed
and edited, then updated to the next release or to other answers.

The template is a git clone of this working tree (uncommitted files included)
with its own tags, so the tests never depend on this repository's tags.
"""

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml
from variants import SINGLE_SCHEMES

BASE = "v0.1.0"
NEXT = "v0.1.1"
README_LINE = "My API: a FastAPI service."
USER_README_LINE = "Reports for the finance team."
USER_MODULE = 'from fastapi import APIRouter\n\nrouter = APIRouter(prefix="/reports")\n'
SCHEME_ANSWERS = {scheme: {"auth": scheme} for scheme in SINGLE_SCHEMES} | {
    "combined": {"auth": "combined", "combined_schemes": ["api_key", "session"]}
}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def change_the_template(repo: Path) -> None:
    """A release's worth of changes: an edited module, an appended README
    section and a new guide."""
    package = repo / "template" / "src" / "{{ package_name }}"
    health = package / "api" / "health.py"
    health.write_text(
        '"""Liveness and readiness probes for load balancers."""\n\n'
        + health.read_text()
    )
    readme = repo / "template" / "README.md.jinja"
    readme.write_text(
        readme.read_text()
        + "\n## Support\n\nAsk in the team channel before opening an issue.\n"
    )
    (repo / "template" / "docs" / "troubleshooting.md").write_text(
        "# Troubleshooting\n\nRun `uv sync` again after pulling.\n"
    )


@pytest.fixture(scope="module")
def template_repo(template_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This template as a git repository with two releases, BASE and NEXT."""
    repo = tmp_path_factory.mktemp("template") / "repo"
    shutil.copytree(template_dir, repo)
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "base release")
    git(repo, "tag", BASE)
    change_the_template(repo)
    commit_all(repo, "next release")
    git(repo, "tag", NEXT)
    return repo


def render(template: Path, dest: Path, ref: str, **data: Any) -> Path:
    copier.run_copy(
        str(template),
        dest,
        data=data,
        vcs_ref=ref,
        defaults=True,
        quiet=True,
        settings=copier.Settings(),
    )
    return dest


def update(project: Path, ref: str | None = None, **data: Any) -> None:
    copier.run_update(
        project,
        data=data,
        vcs_ref=ref,
        defaults=True,
        overwrite=True,
        conflict="rej",
        quiet=True,
        settings=copier.Settings(),
    )


def as_a_user_project(project: Path) -> None:
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "generated")


def tree(root: Path, skip: Callable[[Path], bool] = lambda _: False) -> dict:
    return {
        path.relative_to(root): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
        if not skip(path.relative_to(root))
    }


def assert_no_conflicts(project: Path) -> None:
    leftovers = [p for p in project.rglob("*.rej") if ".git" not in p.parts]
    assert leftovers == []
    for relative, content in tree(project).items():
        assert b"<<<<<<<" not in content, relative
        assert b">>>>>>>" not in content, relative


@pytest.mark.parametrize("scheme", list(SCHEME_ANSWERS))
def test_update_to_the_next_release_keeps_the_users_edits(
    template_repo: Path, tmp_path: Path, scheme: str
) -> None:
    answers = SCHEME_ANSWERS[scheme]
    project = render(template_repo, tmp_path / "project", BASE, **answers)
    as_a_user_project(project)
    # The user's own work: a new route module and a reworded README line.
    (project / "src" / "my_api" / "api" / "reports.py").write_text(USER_MODULE)
    readme = project / "README.md"
    assert README_LINE in readme.read_text()
    readme.write_text(readme.read_text().replace(README_LINE, USER_README_LINE))
    commit_all(project, "our changes")

    update(project)

    assert_no_conflicts(project)
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["_commit"] == NEXT
    assert recorded["_src_path"] == str(template_repo)
    # The template's changes arrived...
    assert (project / "docs" / "troubleshooting.md").exists()
    assert "## Support" in readme.read_text()
    health = (project / "src" / "my_api" / "api" / "health.py").read_text()
    assert health.startswith('"""Liveness and readiness probes')
    # ...and the user's are still there.
    assert USER_README_LINE in readme.read_text()
    assert README_LINE not in readme.read_text()
    assert (project / "src" / "my_api" / "api" / "reports.py").read_text() == (
        USER_MODULE
    )
    # Apart from those edits, the project is what a fresh render gives.
    fresh = render(template_repo, tmp_path / "fresh", NEXT, **answers)
    fresh_readme = fresh / "README.md"
    fresh_readme.write_text(
        fresh_readme.read_text().replace(README_LINE, USER_README_LINE)
    )
    assert tree(project, skip=lambda p: p.name == "reports.py") == tree(fresh)


ANSWER_CHANGES = {
    "sqlite-to-postgresql": (
        {"database": "sqlite"},
        {"database": "postgresql"},
        [],
    ),
    "mysql-to-sqlite": (
        {"database": "mysql"},
        {"database": "sqlite"},
        ["compose/initdb.sql"],
    ),
    "jwt-to-api_key": (
        {"auth": "jwt"},
        {"auth": "api_key"},
        [
            "src/my_api/auth/jwt.py",
            "src/my_api/auth/tokens.py",
            "src/my_api/api/tokens.py",
            "tests/test_auth_jwt.py",
            "docs/auth-jwt.md",
        ],
    ),
    "session-to-combined": (
        {"auth": "session"},
        {"auth": "combined", "combined_schemes": ["basic", "jwt"]},
        [
            "src/my_api/auth/session.py",
            "src/my_api/api/pages.py",
            "src/my_api/api/sessions.py",
            "src/my_api/templates/login.html",
            "tests/test_auth_session.py",
            "docs/auth-session.md",
        ],
    ),
}


@pytest.mark.parametrize(
    ("before", "after", "removed"),
    list(ANSWER_CHANGES.values()),
    ids=list(ANSWER_CHANGES),
)
def test_changing_an_answer_on_update(
    template_repo: Path,
    tmp_path: Path,
    before: dict,
    after: dict,
    removed: list[str],
) -> None:
    project = render(template_repo, tmp_path / "project", NEXT, **before)
    as_a_user_project(project)
    old_files = set(tree(project))
    for relative in removed:
        assert Path(relative) in old_files, relative

    update(project, NEXT, **after)

    assert_no_conflicts(project)
    fresh = render(template_repo, tmp_path / "fresh", NEXT, **{**before, **after})
    # The same files, with the same contents, as a fresh render: files of the
    # old answer that the new one does not have are gone.
    assert tree(project) == tree(fresh)
    for relative in removed:
        assert not (project / relative).exists(), relative


def test_a_renamed_question_keeps_its_answer(
    template_repo: Path, tmp_path: Path
) -> None:
    """A release that renames a question declares a `_migrations` step with
    `copier_migrations/rename_answers.py`; projects answered under the old
    name keep their answer."""
    repo = tmp_path / "repo"
    git(tmp_path, "clone", "-q", str(template_repo), str(repo))
    project = render(repo, tmp_path / "project", NEXT, author_name="Ada Lovelace")
    as_a_user_project(project)

    # The next release renames `author_name` to `maintainer_name`.
    copier_yml = repo / "copier.yml"
    text = copier_yml.read_text().replace("\nauthor_name:", "\nmaintainer_name:")
    text += (
        "\n_migrations:\n"
        "  - version: v0.1.2\n"
        "    when: \"{{ _stage == 'before' }}\"\n"
        "    command:\n"
        '      - "{{ _copier_python }}"\n'
        '      - "{{ _copier_conf.src_path }}/copier_migrations/rename_answers.py"\n'
        '      - "{{ _copier_conf.answers_file }}"\n'
        "      - author_name=maintainer_name\n"
    )
    copier_yml.write_text(text)
    pyproject = repo / "template" / "pyproject.toml.jinja"
    pyproject.write_text(
        pyproject.read_text().replace("author_name", "maintainer_name")
    )
    commit_all(repo, "rename author_name")
    git(repo, "tag", "v0.1.2")

    copier.run_update(
        project,
        defaults=True,
        overwrite=True,
        conflict="rej",
        quiet=True,
        unsafe=True,  # migrations run commands
        settings=copier.Settings(),
    )

    assert_no_conflicts(project)
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v0.1.2"
    assert answers["maintainer_name"] == "Ada Lovelace"
    assert "author_name" not in answers
    assert 'name = "Ada Lovelace"' in (project / "pyproject.toml").read_text()
