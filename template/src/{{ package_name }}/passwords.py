"""Password hashing with argon2id, and the rules a new password must meet.

Hashing is CPU-bound (tens of milliseconds with production parameters) and
holds 64 MiB while it runs, so it runs in a worker thread, never on the event
loop, and at most `PASSWORD_HASH_CONCURRENCY` at a time: a flood of sign-ins
waits its turn instead of taking the memory of the host.
"""

import secrets
from functools import cache, cached_property
from importlib import resources
from typing import Any

from anyio import CapacityLimiter, to_thread
from anyio.lowlevel import RunVar
from passlib.context import CryptContext

from .config import Settings

# The floor of PASSWORD_MIN_LENGTH, and the longest password anything accepts
# (passlib refuses more than 4096 bytes, and 1024 characters fit in that).
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024

# RFC 9106's second recommended option: t=3, 64 MiB, 4 lanes.
PRODUCTION_PARAMETERS = {"time_cost": 3, "memory_cost": 64 * 1024, "parallelism": 4}
# The cheapest argon2id settings, only ever used when ENVIRONMENT=test.
TEST_PARAMETERS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


def crypt_context(parameters: dict[str, int]) -> CryptContext:
    options: dict[str, Any] = {
        f"argon2__{name}": value for name, value in parameters.items()
    }
    return CryptContext(schemes=["argon2"], argon2__type="ID", **options)


class Passwords:
    """The password hashing and rules of one app (or one CLI command)."""

    def __init__(self, settings: Settings) -> None:
        test = settings.environment == "test"
        self.context = crypt_context(TEST_PARAMETERS if test else PRODUCTION_PARAMETERS)
        self.min_length = settings.password_min_length
        self.concurrency = settings.password_hash_concurrency
        # One limiter per event loop, like anyio's own default thread limiter.
        self._slots: RunVar[CapacityLimiter] = RunVar("password_hashing_slots")

    def slots(self) -> CapacityLimiter:
        """The limiter that bounds concurrent hashing on this event loop."""
        try:
            return self._slots.get()
        except LookupError:
            limiter = CapacityLimiter(self.concurrency)
            self._slots.set(limiter)
            return limiter

    @cached_property
    def _dummy_hash(self) -> str:
        return self.context.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        return await to_thread.run_sync(
            self.context.hash, password, limiter=self.slots()
        )

    def _verify(self, password: str, hashed: str | None) -> tuple[bool, str | None]:
        if hashed is None:
            # Unknown user: spend the same time as a real check, then fail.
            self.context.verify(password, self._dummy_hash)
            return False, None
        return self.context.verify_and_update(password, hashed)

    async def verify(
        self, password: str, hashed: str | None
    ) -> tuple[bool, str | None]:
        """Check `password` against `hashed` (None for an unknown user).

        Returns whether it matches and, when the stored hash uses outdated
        parameters, a new hash to store in its place. A password longer than
        any that can be set fails without being hashed.
        """
        if len(password) > MAX_PASSWORD_LENGTH:
            return False, None
        return await to_thread.run_sync(
            self._verify, password, hashed, limiter=self.slots()
        )

    def problem(self, password: str, *, username: str) -> str | None:
        """Why `password` may not be set for `username`, or None if it may.

        OWASP ASVS 5.0 (V6.2): a minimum length, no composition rules, and no
        password that is common or contains the account's name.
        """
        if len(password) < self.min_length:
            return f"must be at least {self.min_length} characters"
        if len(password) > MAX_PASSWORD_LENGTH:
            return f"must be at most {MAX_PASSWORD_LENGTH} characters"
        if not password.strip():
            return "must not be only spaces"
        lowered = password.lower()
        if lowered in common_passwords() or lowered.strip() in common_passwords():
            return "is one of the most common passwords; choose another"
        if username and username.lower() in lowered:
            return "must not contain the username"
        return None


@cache
def common_passwords() -> frozenset[str]:
    """The 10,000 most common passwords, lowercased (common-passwords.txt)."""
    package = resources.files(__name__.rpartition(".")[0])
    text = package.joinpath("common-passwords.txt").read_text()
    return frozenset(
        line for line in text.splitlines() if line and not line.startswith("#")
    )
