"""The public filing site: ``/file``, a form for a citizen or an enterprise, in Chinese, without JavaScript.

The form files through the API's own code (``api.accept_filing``, the body checked as ``ComplaintCreate``, see
``public_filing.py``): every rule and refusal is the API's, and each of its 422 entries is shown next to the field it
names. A photo or PDF may go with the form (multipart); it is attached to the complaint as soon as it is filed. The
answer names the tracking number, the access code and the filer's private tracking link
(``/track/<number>?t=<access token>``, see ``public_track.py``). Each rendering of the form carries a fresh ``Idempotency-Key``: posting the same form twice
(a reload, a double click) files once.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.intake.http.deps import get_filing_call
from services.intake.errors import NotFound
from services.intake.pages import public_files, public_lookup, public_track
from services.intake.pages.public_common import FILE_COOKIE, file_sessions, form_page, page, static_file
from services.intake.pages.public_filing import file_from_form, form_context
from services.intake.schemas import Channel

router = APIRouter(include_in_schema=False)
router.include_router(public_lookup.router)
router.include_router(public_track.router)
router.include_router(public_files.router)


def _form_page(request: Request, sessions, *, values: dict[str, str], errors: dict[str, str], notice: str = "",
               status_code: int = 200) -> Response:
    context = form_context(request, values=values, errors=errors, notice=notice)
    return form_page(request, sessions, "file.html", context, status_code)


@router.get("/file")
async def file_form(request: Request) -> Response:
    return _form_page(request, file_sessions(request.app.state.intake_settings.auth_secret), values={}, errors={})


@router.post("/file")
async def file_submit(request: Request) -> Response:
    sessions = file_sessions(request.app.state.intake_settings.auth_secret)
    form = await request.form()
    if not sessions.csrf_valid(sessions.decode(request.cookies.get(FILE_COOKIE)), form.get("csrf")):
        values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
        return _form_page(request, sessions, values=values, errors={}, status_code=403,
                          notice="表单已过期或不是从本站提交的，请核对后重新提交。")

    def again(values: dict[str, str], errors: dict[str, str], notice: str, status_code: int) -> Response:
        return _form_page(request, sessions, values=values, errors=errors, notice=notice, status_code=status_code)

    filed = await file_from_form(request, form, await get_filing_call(request), Channel.web, again)
    if isinstance(filed, Response):
        return filed
    return page(request, "filed.html", filed, status_code=201)


@router.get("/public/static/{name}")
async def static(name: str) -> Response:
    found = static_file(name)
    if found is None:
        raise NotFound("No such file", "未找到该文件")
    return found
