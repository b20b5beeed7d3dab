"""The ASGI application that `fastapi run` serves, configured by the
environment and `.env`."""

from .app import create_app

app = create_app()
