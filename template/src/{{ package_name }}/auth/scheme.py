"""The contract every authentication scheme module fulfils.

A scheme is a module of this package, one per way of authenticating, that
provides under these names:

- `security`: a `fastapi.security` object declared with `auto_error=False`.
  Called with the request, it reads the scheme's credential (None when
  absent or malformed). As a dependency it also puts the scheme in
  OpenAPI's `securitySchemes`, so Swagger's Authorize button knows it.
- `Credential`: `Annotated[<credential> | None, Depends(security)]`, the
  parameter type through which a dependency receives the credential.
- `challenge(settings)`: the scheme's `WWW-Authenticate` challenge for a 401.
- `identify(request, credential)`: the caller the credential names, or None
  when it is not valid (never raises for a bad credential; it may raise
  `Throttled` or `Forbidden`). It reads through the app's read path
  (`Database.read()`): one round trip for a valid credential.
- `authenticate`: the dependency for an app that has only this scheme.

The type checker holds every chosen module to this protocol where
`auth/dependencies.py` lists them (`SCHEMES`).
"""

from collections.abc import Awaitable
from typing import Protocol, TypeVar

from fastapi import Request
from fastapi.openapi.models import SecurityBase as SecuritySchemeModel

from ..config import Settings
from .principal import Principal

CredentialT = TypeVar("CredentialT")
CredentialT_co = TypeVar("CredentialT_co", covariant=True)


class CredentialReader(Protocol[CredentialT_co]):
    """What the scheme's `fastapi.security` object is used for here."""

    @property
    def scheme_name(self) -> str: ...

    @property
    def model(self) -> SecuritySchemeModel: ...

    def __call__(self, request: Request) -> Awaitable[CredentialT_co | None]: ...


class Scheme(Protocol[CredentialT]):
    @property
    def security(self) -> CredentialReader[CredentialT]: ...

    def challenge(self, settings: Settings) -> str: ...

    async def identify(
        self, request: Request, credential: CredentialT
    ) -> Principal | None: ...
