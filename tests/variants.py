"""The variants the template can render, and what marks each auth scheme."""

import itertools
import os
import re
from dataclasses import dataclass

SINGLE_SCHEMES = ["api_key", "basic", "jwt", "session"]
ALL_DATABASES = ["sqlite", "postgresql", "mysql"]
# TEMPLATE_TEST_DATABASES=sqlite,postgresql limits the variants (CI matrix).
DATABASES = [
    name
    for name in os.environ.get(
        "TEMPLATE_TEST_DATABASES", ",".join(ALL_DATABASES)
    ).split(",")
    if name in ALL_DATABASES
]
SERVER_DATABASES = [name for name in DATABASES if name != "sqlite"]

# Text that only a project with that scheme may contain.
SCHEME_MARKERS = {
    # OpenAPI calls every header or cookie scheme `"type": "apiKey"`, and
    # Swagger UI fills one in with `preauthorizeApiKey`.
    "api_key": re.compile(
        r'(?<!"type": ")(?<!preauthorize)api[_-]?keys?\b|X-API-Key|APIKeyHeader',
        re.IGNORECASE,
    ),
    "basic": re.compile(r"HTTPBasic|Basic realm|auth-basic", re.IGNORECASE),
    "jwt": re.compile(
        r"\bjwt\b|jose|refresh[_ ]token|OAuth2PasswordBearer", re.IGNORECASE
    ),
    "session": re.compile(
        r"csrf|APIKeyCookie|POST /auth/login|[\"']/auth/login|session cookie",
        re.IGNORECASE,
    ),
}


def variant_id(auth: str, database: str) -> str:
    return f"{auth}-{database}"


@dataclass(frozen=True)
class Variant:
    """One rendering: an auth answer (with its schemes when combined) and a
    database."""

    auth: str
    database: str
    combined: tuple[str, ...] = ()
    self_signup: bool = False

    @property
    def schemes(self) -> tuple[str, ...]:
        return self.combined or (self.auth,)

    @property
    def id(self) -> str:
        auth = "+".join(self.combined) if self.combined else self.auth
        if self.self_signup:
            auth += "+signup"
        return variant_id(auth, self.database)

    def answers(self) -> dict[str, object]:
        answers: dict[str, object] = {"auth": self.auth, "database": self.database}
        if self.combined:
            answers["combined_schemes"] = list(self.combined)
        if self.self_signup:
            answers["self_signup"] = True
        return answers


# Every subset of two or more schemes, on SQLite; all of them together on the
# database servers too.
COMBINED_SUBSETS = [
    subset
    for size in range(2, len(SINGLE_SCHEMES) + 1)
    for subset in itertools.combinations(SINGLE_SCHEMES, size)
]
VARIANTS = [
    Variant(auth, database) for auth in SINGLE_SCHEMES for database in DATABASES
]
VARIANTS += [
    Variant("combined", "sqlite", subset)
    for subset in COMBINED_SUBSETS
    if "sqlite" in DATABASES
]
VARIANTS += [
    Variant("combined", database, tuple(SINGLE_SCHEMES))
    for database in SERVER_DATABASES
]
# Sign-up with email verification (`self_signup`) for every scheme that
# signs in with a password, alone and all together, on every database.
PASSWORD_SCHEMES = ["basic", "jwt", "session"]
VARIANTS += [
    Variant(auth, database, self_signup=True)
    for auth in PASSWORD_SCHEMES
    for database in DATABASES
]
VARIANTS += [
    Variant("combined", database, tuple(SINGLE_SCHEMES), self_signup=True)
    for database in DATABASES
]
