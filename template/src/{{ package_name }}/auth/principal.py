"""What every authentication scheme produces: the caller and their scopes."""

from dataclasses import dataclass

from fastapi import HTTPException, status

from ..models import User

SCOPES: dict[str, str] = {
    "items:read": "Read your items",
    "items:write": "Create, change and delete your items",
}
ALL_SCOPES = frozenset(SCOPES)


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: the user and the scopes their credential grants."""

    user: User
    scopes: frozenset[str]


def unauthorized(challenge: str, detail: str = "Not authenticated") -> HTTPException:
    """A 401 that tells the client which scheme(s) to authenticate with."""
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": challenge},
    )
