"""Intake's server-rendered pages: the workbench of handlers, dispatchers, supervisors, operators and follow-up staff
(``/workbench``), and the public filing and tracking site (``/file``, ``/track``: ``public*.py``).

The pages are a client of the same service layer as the JSON API — reads through the API's own functions, actions
through its commands — with a staff session and CSRF-checked forms (``session.py``; the public site's own cookies,
``public_common.py``) and the security headers of ``shared.pages``. :func:`configure` adds what they need to the
app hosting intake. Besides the queues and a complaint's page (``workbench.py``, ``forms.py``): attachments
(``files.py``), search and export (``finder.py``), reply templates (``reply_pages.py``) the operator's desk
(``operator.py``) and filing for a caller (``operator_filing.py``).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from services.intake.pages import (
    files,
    finder,
    followups,
    forms,
    operator,
    operator_filing,
    public,
    reply_pages,
    session,
    workbench,
)
from services.intake.pages.public_common import PUBLIC_PAGES, PUBLIC_PATHS, page as public_page
from services.intake.pages.session import LOGIN, FormRefused, ToLogin
from shared import problems
from shared.pages import PageHeaders

#: The attachments' and search's routes before the actions' (``/complaints/{id}/{action}``).
ROUTERS = (session.router, workbench.router, files.router, finder.router, reply_pages.router, operator.router,
           followups.router, operator_filing.router, forms.router, public.router)


async def _to_login(_request: Request, _exc: Exception) -> Response:
    return RedirectResponse(LOGIN, status_code=303)


async def _form_refused(request: Request, _exc: Exception) -> Response:
    return workbench.page(request, "error.html", None, 403, title="表单已失效",
                          message="此表单已失效或不属于您当前的登录，未作任何更改。请回到页面刷新后重新提交。")


def _staff_page_not_found(request: Request) -> Response:
    return workbench.page(request, "error.html", None, 404, title="未找到",
                          message="没有这个页面：链接可能有误或已失效。请从工作台进入。")


def _public_page_not_found(request: Request) -> Response:
    return public_page(request, "not_found.html", {}, status_code=404)


def configure(app: FastAPI) -> None:
    """The security headers on every page (not on the API documentation, whose Swagger UI starts with an inline
    script), and the answers to a request without a session or a form without its
    CSRF token."""
    app.add_middleware(PageHeaders, paths=(session.PATH, *PUBLIC_PATHS))
    app.add_exception_handler(ToLogin, _to_login)
    app.add_exception_handler(FormRefused, _form_refused)
    problems.page_area(app, (session.PATH,), _staff_page_not_found)
    problems.page_area(app, PUBLIC_PAGES, _public_page_not_found)
