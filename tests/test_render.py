"""What every rendered variant must look like, before anything is installed."""

import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import Render, check
from variants import SCHEME_MARKERS, SINGLE_SCHEMES, VARIANTS, Variant

UNRENDERED = re.compile(r"\{\{ |\{%|%\}|\{#|#\}")


def project_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


@dataclass(frozen=True)
class RenderedVariant:
    """A variant rendered into `root`."""

    root: Path
    variant: Variant

    @property
    def schemes(self) -> tuple[str, ...]:
        return self.variant.schemes

    @property
    def database(self) -> str:
        return self.variant.database


@pytest.fixture(scope="module", params=VARIANTS, ids=[v.id for v in VARIANTS])
def rendered(
    request: pytest.FixtureRequest,
    render: Render,
    tmp_path_factory: pytest.TempPathFactory,
) -> RenderedVariant:
    variant: Variant = request.param
    dest = tmp_path_factory.mktemp(variant.id) / "project"
    render(dest, **variant.answers())
    return RenderedVariant(dest, variant)


def test_nothing_is_left_unrendered(
    rendered: RenderedVariant,
) -> None:
    root = rendered.root
    for path in project_files(root):
        relative = path.relative_to(root)
        assert not UNRENDERED.search(str(relative)), relative
        assert not relative.name.endswith(".jinja"), relative
        if relative.parent.name == "templates" and path.suffix == ".html":
            continue  # the project's own Jinja2 pages
        if relative.parent.name == "emails":
            continue  # and its Jinja2 emails
        text = path.read_text()
        # GitHub Actions expressions are the one legitimate use of ${{ }}.
        text = re.sub(r"\$\{\{[^}]*\}\}", "", text)
        assert not UNRENDERED.search(text), f"{relative}: unrendered Jinja"


def test_no_trace_of_unchosen_schemes(
    rendered: RenderedVariant,
) -> None:
    root = rendered.root
    chosen = set(rendered.schemes)
    for scheme, marker in SCHEME_MARKERS.items():
        if scheme in chosen:
            continue
        for path in project_files(root):
            relative = path.relative_to(root)
            if path.name == "common-passwords.txt":
                continue  # data: "jose" is a common password, not python-jose
            assert not marker.search(str(relative)), f"{relative}: {scheme}"
            match = marker.search(path.read_text())
            assert match is None, (
                f"{relative} mentions {scheme}: {match and match[0]!r}"
            )


def test_no_jinja_whitespace_leftovers(
    rendered: RenderedVariant,
) -> None:
    root = rendered.root
    for path in project_files(root):
        relative = path.relative_to(root)
        text = path.read_text()
        assert text == "" or text.endswith("\n"), f"{relative}: no final newline"
        assert not text.endswith("\n\n"), f"{relative}: blank lines at the end"
        assert "\n\n\n\n" not in text, f"{relative}: three blank lines in a row"
        for number, line in enumerate(text.splitlines(), 1):
            assert line == line.rstrip(), f"{relative}:{number}: trailing whitespace"
        if path.suffix == ".py" and path.name != "__init__.py":
            assert text.strip(), f"{relative}: empty module"


GLUED_CODE = re.compile(r"[\w).,;:]$")


def markdown_glitches(text: str) -> list[str]:
    """What a stray Jinja tag does to Markdown: a heading glued to the
    paragraph above or below it, an inline code span glued to the word
    before it (`word`code``). Fenced blocks are left alone."""
    glitches = []
    prose = re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)
    lines = prose.split("\n")
    for number, line in enumerate(lines):
        if re.match(r"#{1,6} ", line):
            if number > 0 and lines[number - 1].strip():
                glitches.append(f"heading glued to the line above: {line!r}")
            if number + 1 < len(lines) and lines[number + 1].strip():
                glitches.append(f"heading glued to the line below: {line!r}")
    for paragraph in re.split(r"\n\s*\n", prose):
        spans = re.split(r"(`+)", " ".join(paragraph.split("\n")))
        # spans: text, tick, code, tick, text ...; an opening tick at 1, 5, 9 ...
        for index in range(1, len(spans), 4):
            if GLUED_CODE.search(spans[index - 1]):
                glitches.append(f"code glued to a word: {spans[index - 1][-30:]!r}")
    return glitches


def test_markdown_renders_cleanly(rendered: RenderedVariant) -> None:
    for path in [rendered.root / "README.md", *(rendered.root / "docs").glob("*.md")]:
        glitches = markdown_glitches(path.read_text())
        assert glitches == [], f"{path.relative_to(rendered.root)}: {glitches}"


def test_the_markdown_check_finds_glitches() -> None:
    assert markdown_glitches("Text.\n## Heading\n\nMore.\n") != []
    assert markdown_glitches("It ends here.`create-api-key` prints\n") != []
    assert markdown_glitches("Fine `code` and\n`code` over\nlines.\n\n## H\n") == []


def test_database_choice(rendered: RenderedVariant) -> None:
    root, database = rendered.root, rendered.database
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    dependencies = " ".join(pyproject["project"]["dependencies"])
    drivers = {"sqlite": "aiosqlite", "postgresql": "asyncpg", "mysql": "aiomysql"}
    for name, driver in drivers.items():
        assert (driver in dependencies) == (name == database), driver
    config = (root / "src" / "my_api" / "config.py").read_text()
    default_url = re.search(r'DEFAULT_DATABASE_URL = f?"([^"]+)"', config)
    assert default_url is not None
    assert default_url[1].startswith(
        {"sqlite": "sqlite:///", "postgresql": "postgresql://", "mysql": "mysql://"}[
            database
        ]
    )
    compose = (root / "compose.yml").read_text()
    assert ("db:" in compose) == (database != "sqlite")
    assert (root / "compose" / "initdb.sql").exists() == (database != "sqlite")
    assert not (root / "compose").exists() or database != "sqlite"


@pytest.mark.parametrize("auth", [*SINGLE_SCHEMES, "combined"])
def test_awkward_names_render_valid_files(
    render: Render, tmp_path: Path, auth: str
) -> None:
    """Quotes, backslashes and non-ASCII in free-text answers, long names:
    the files still parse, and lint and format clean (the formatter would
    wrap differently if a line's length depended on the package name)."""
    dest = render(
        tmp_path / "project",
        auth=auth,
        project_name='The "Quoted" \\ Ünïcode API',
        # The longest names the questions accept.
        project_slug="a-rather-long-project-slug-for-a-service",
        package_name="a_rather_long_package_name_for_a_service",
        description='Says "hi" \\ déjà vu',
        author_name='O\'Brien "Bob" \\',
        author_email="o.brien+api@example.co.uk",
    )
    pyproject = tomllib.loads((dest / "pyproject.toml").read_text())
    assert pyproject["project"]["description"] == 'Says "hi" \\ déjà vu'
    assert pyproject["project"]["authors"][0]["name"] == 'O\'Brien "Bob" \\'
    package = dest / "src" / "a_rather_long_package_name_for_a_service"
    for path in [*package.rglob("*.py"), *(dest / "tests").rglob("*.py")]:
        compile(path.read_text(), str(path), "exec")
    ruff = [sys.executable, "-m", "ruff"]
    check([*ruff, "check", "--no-cache", "."], dest)
    check([*ruff, "format", "--check", "--no-cache", "."], dest)


def test_the_order_of_combined_schemes_does_not_matter(
    render: Render, tmp_path: Path
) -> None:
    first = render(
        tmp_path / "a", auth="combined", combined_schemes=["session", "api_key"]
    )
    second = render(
        tmp_path / "b", auth="combined", combined_schemes=["api_key", "session"]
    )

    def contents(root: Path) -> dict[Path, bytes]:
        return {
            path.relative_to(root): path.read_bytes()
            for path in project_files(root)
            if path.name != ".copier-answers.yml"  # records the answer as given
        }

    assert contents(first) == contents(second)


def test_proxies_are_trusted_only_when_named(
    rendered: RenderedVariant,
) -> None:
    """uvicorn trusts X-Forwarded-* only from FORWARDED_ALLOW_IPS: the image,
    the compose file and the docs say so, so a deployment behind a proxy on
    the Docker bridge does not lump every client into one address."""
    root = rendered.root
    assert "ENV FORWARDED_ALLOW_IPS=127.0.0.1" in (root / "Dockerfile").read_text()
    assert "FORWARDED_ALLOW_IPS:" in (root / "compose.yml").read_text()
    for doc in (".env.example", "docs/configuration.md", "docs/security.md"):
        assert "FORWARDED_ALLOW_IPS" in (root / doc).read_text(), doc


def test_the_database_starts_without_app_secrets(
    rendered: RenderedVariant,
) -> None:
    """`docker compose up -d db` with the .env made from .env.example: compose
    interpolates the whole file, so a required variable (`${X:?…}`) of the app
    service would stop the database from starting too. The app itself refuses
    to start in production without SECRET_KEY; the database and app share
    one DB_PASSWORD."""
    compose_text = (rendered.root / "compose.yml").read_text()
    assert ":?" not in compose_text
    compose = yaml.safe_load(compose_text)
    app = compose["services"]["app"]["environment"]
    assert app["SECRET_KEY"] == "${SECRET_KEY:-}"
    assert app["FIRST_ADMIN_PASSWORD"] == "${FIRST_ADMIN_PASSWORD:-}"
    if rendered.database != "sqlite":
        db = compose["services"]["db"]["environment"]
        password = "${DB_PASSWORD:-app}"
        assert password in app["DATABASE_URL"]
        assert password in db.values()
