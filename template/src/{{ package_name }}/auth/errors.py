"""What the auth layer raises. `api/errors.py` turns each into its HTTP
answer, in one place, so this package never speaks HTTP itself."""


class AuthError(Exception):
    """Authentication or authorization failed."""


class NotAuthenticated(AuthError):
    """No valid credential: 401, with `challenge` as `WWW-Authenticate`."""

    def __init__(self, challenge: str, detail: str = "Not authenticated") -> None:
        super().__init__(detail)
        self.challenge = challenge
        self.detail = detail


class Forbidden(AuthError):
    """Authenticated, but not allowed to do this: 403."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Throttled(AuthError):
    """Too many attempts lately: 429, try again in `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limited; retry after {retry_after} s")
        self.retry_after = retry_after
