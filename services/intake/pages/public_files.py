"""The filer's attachments on ``/track/<number>``: the list (on the complaint's page), each download, and a form to add
a photo or PDF — through ``attachments.attach`` and ``attachments.download`` as the filer (the access token of the
tracking cookie), so the API's rules decide: whoever may read the complaint gets its files, a refused file comes back
by the file field with nothing stored.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.intake.attachments import FIELD, attach, download
from services.intake.http.attachments import MAX_NUMBER, attachment_desk, file_response
from services.intake.errors import IntakeError, NotFound
from services.intake.pages.public_filing import refusal_zh, sent_file
from services.intake.pages.public_track import filer_session, missing, show
from shared import clock

router = APIRouter(include_in_schema=False)


@router.post("/track/{tracking_number}/attachments")
async def add_file(request: Request, tracking_number: str) -> Response:
    sessions, session, filer = filer_session(request, tracking_number)
    if filer is None:
        return missing(request)
    form = await request.form()
    if not sessions.csrf_valid(session, form.get("csrf") if isinstance(form.get("csrf"), str) else None):
        return await show(request, tracking_number, notice="表单已过期或不是从本站提交的，请刷新页面后重试。",
                          status_code=403)
    data = await sent_file(request, form)
    try:
        await attach(request.app.state.runtimes["intake"].db, attachment_desk(request), filer, filer.complaint, data,
                     clock.now())
    except NotFound:
        return missing(request)
    except IntakeError as refused:
        return await show(request, tracking_number, errors={FIELD: refusal_zh(refused)}, status_code=refused.status,
                          notice="文件未能添加，请按提示处理。")
    return RedirectResponse(f"/track/{tracking_number}", status_code=303)


@router.get("/track/{tracking_number}/attachments/{number}")
async def get_file(request: Request, tracking_number: str, number: int) -> Response:
    _sessions, _session, filer = filer_session(request, tracking_number)
    if filer is None or not 1 <= number <= MAX_NUMBER:
        return missing(request)
    try:
        found = await download(request.app.state.runtimes["intake"].db, attachment_desk(request).store, filer,
                               filer.complaint, number)
    except IntakeError:
        return missing(request)
    return file_response(found)
