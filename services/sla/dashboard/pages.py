"""The dashboard's pages, rendered from the Jinja2 templates in ``templates/`` (every value escaped as it is put
in): the login page, the not-found page and the dashboard page with its filters, the column headings and their
definitions (``views.GROUPS``), and the first snapshot as JSON for ``static/dashboard.js``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import StrictUndefined

from services.sla.dashboard import views
from services.sla.dashboard.deps import DashboardDeps
from services.sla.dashboard.periods import Period
from shared.auth import Principal
from shared.pages import templates

TEMPLATES = Path(__file__).resolve().parent / "templates"
NO_STORE = {"Cache-Control": "no-store"}

#: The pages' shared Jinja2 set-up (autoescaped); a value a template uses but is not given is an error.
ENVIRONMENT = templates(TEMPLATES).env
ENVIRONMENT.undefined = StrictUndefined
#: ``tojson`` writes JSON safe inside a script element (``<``, ``>``, ``&`` and ``'`` as ``\u`` escapes), keeping
#: the Chinese text as it is and the keys in their order.
ENVIRONMENT.policies["json.dumps_kwargs"] = {"ensure_ascii": False}


def render(name: str, **values: object) -> str:
    """The template ``templates/<name>`` with ``values``."""
    return ENVIRONMENT.get_template(name).render(**values)


def login_page(message: str = "", status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(render("login.html", message=message), status_code=status_code, headers=NO_STORE)


def not_found_page(_request: Request) -> HTMLResponse:
    """What a browser meets at an unknown address under ``/dashboard``: where to go back to."""
    return HTMLResponse(render("not_found.html"), status_code=404, headers=NO_STORE)


def dashboard_page(deps: DashboardDeps, principal: Principal, period: Period, policy: str | None,
                   snap: dict[str, Any]) -> HTMLResponse:
    """The page: filters, the column headings with their definitions, and the snapshot the script renders."""
    body = render(
        "dashboard.html",
        user=views.user_name(principal.name, principal.role.value),
        period_from=period.first.isoformat(), period_to=period.last.isoformat(),
        policies=[(p, views.policy_name(p)) for p in deps.policy_names], policy=policy or "",
        refreshed=snap["summary"]["now_display"], groups=views.GROUPS,
        snapshot=snap, refresh_ms=int(deps.refresh_s * 1000),
    )
    return HTMLResponse(body, headers=NO_STORE)
