"""Password hashing with argon2id.

Hashing is CPU-bound (tens of milliseconds with production parameters), so the
async helpers run it in a worker thread and never block the event loop.
"""

import secrets
from functools import cache

from anyio import to_thread
from passlib.context import CryptContext

from .config import get_settings

# RFC 9106's second recommended option: t=3, 64 MiB, 4 lanes.
PRODUCTION_PARAMETERS = {"time_cost": 3, "memory_cost": 64 * 1024, "parallelism": 4}
# The cheapest argon2id settings, only ever used when ENVIRONMENT=test.
TEST_PARAMETERS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


@cache
def password_context() -> CryptContext:
    test = get_settings().environment == "test"
    parameters = TEST_PARAMETERS if test else PRODUCTION_PARAMETERS
    return CryptContext(
        schemes=["argon2"],
        argon2__type="ID",
        **{f"argon2__{name}": value for name, value in parameters.items()},
    )


@cache
def _dummy_hash() -> str:
    return password_context().hash(secrets.token_urlsafe(16))


def hash_password_sync(password: str) -> str:
    return password_context().hash(password)


async def hash_password(password: str) -> str:
    return await to_thread.run_sync(hash_password_sync, password)


def _verify(password: str, hashed: str | None) -> tuple[bool, str | None]:
    if hashed is None:
        # Unknown user: spend the same time as a real check, then fail.
        password_context().verify(password, _dummy_hash())
        return False, None
    return password_context().verify_and_update(password, hashed)


async def verify_password(password: str, hashed: str | None) -> tuple[bool, str | None]:
    """Check `password` against `hashed` (None for an unknown user).

    Returns whether it matches and, when the stored hash uses outdated
    parameters, a new hash to store in its place.
    """
    return await to_thread.run_sync(_verify, password, hashed)
