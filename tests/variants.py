"""The variants the template can render, and what marks each auth scheme."""

import os
import re

# Schemes the template renders today; the others are refused by copier.yml.
AVAILABLE_SCHEMES = ["api_key", "basic", "jwt", "session"]
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
    "api_key": re.compile(r"api[_-]?keys?\b|X-API-Key|APIKeyHeader", re.IGNORECASE),
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
