"""`/docs` (Swagger UI) and `/redoc` (ReDoc), served by the app itself.

FastAPI's stock pages load their scripts from a public CDN: they stay blank
where that is unreachable, and a strict Content-Security-Policy would block
them anyway. These pages load the copies the `fastapi-offline` package ships
and this package's `swagger/swagger-init.js`, and run no inline script, so
their policy allows scripts from this site only.
"""

from html import escape
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"
SWAGGER_DIR = Path(__file__).resolve().parent.parent / "swagger"
_COMMON = (
    "default-src 'none'; script-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
SWAGGER_CSP = f"{_COMMON}; style-src 'self'"
# ReDoc styles its components with <style> elements it writes at run time,
# and parses the document in a worker it starts from a blob.
REDOC_CSP = f"{_COMMON}; style-src 'self' 'unsafe-inline'; worker-src blob:"

router = APIRouter(include_in_schema=False)


def _page(request: Request, title: str, body: str, head: str = "") -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{escape(request.app.title)} · {title}</title>
  <link rel="icon" href="data:,">
  {head}
</head>
<body>
{body}
</body>
</html>
"""


def _urls(request: Request) -> tuple[str, str]:
    """The document's and the assets' URLs, under the app's root path."""
    root = request.scope.get("root_path", "").rstrip("/")
    return escape(root + (request.app.openapi_url or "")), escape(root + ASSETS)


@router.get("/docs", response_class=HTMLResponse)
async def swagger_ui(request: Request) -> HTMLResponse:
    openapi_url, assets = _urls(request)
    html = _page(
        request,
        "API documentation",
        head=f'<link rel="stylesheet" href="{assets}/swagger-ui.css">',
        body=f"""<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/swagger-init.js"></script>""",
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": SWAGGER_CSP})


@router.get("/redoc", response_class=HTMLResponse)
async def redoc(request: Request) -> HTMLResponse:
    openapi_url, assets = _urls(request)
    html = _page(
        request,
        "API reference",
        body=f"""<redoc spec-url="{openapi_url}"></redoc>
<script src="{assets}/redoc.standalone.js"></script>""",
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": REDOC_CSP})


def install(app: FastAPI) -> None:
    """The two pages, and their scripts and styles under `/docs/assets`."""
    app.include_router(router)
    assets = StaticFiles(
        directory=SWAGGER_DIR, packages=[("fastapi_offline", "static")]
    )
    app.mount(ASSETS, assets, name="docs-assets")
