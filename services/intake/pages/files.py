"""The workbench's attachments: the upload form of a complaint's page (multipart, with the session's CSRF token) and
the download of an attachment with the session alone — both calling the functions the JSON endpoints call
(``attachments.attach``, ``attachments.download``), so whoever may read the complaint, and only they, gets its files.

A refused upload comes back as the complaint's page with the error by the file field (too large, not a photo or PDF,
too many); nothing is stored. The upload route takes a body of up to twice an attachment's limit
(:func:`page_allowances`), so a file somewhat over the limit is read and refused by its field on the page rather than
cut off before it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from services.intake.attachments import FIELD, AttachmentRules, attach, download, too_large_body
from services.intake.http.attachments import MAX_NUMBER, MULTIPART_ENVELOPE_BYTES, attachment_desk, file_response
from services.intake.http.deps import DatabaseDep
from services.intake.errors import IntakeError, NotFound
from services.intake.pages.forms import field_errors
from services.intake.pages.session import PATH, PostedDep, StaffDep
from services.intake.pages.workbench import complaint_page, refusal_page
from shared import clock
from shared.limits import Allowance

#: The form's name in the page's errors.
FORM = "attach"

router = APIRouter(prefix=PATH, include_in_schema=False)


#: The forms that post a file: the workbench's upload, the public filing form and the filer's upload on ``/track``,
#: and the operator's filing form.
FILE_FORMS = (rf"{PATH}/complaints/[^/]+/attachments", "/file", r"/track/[^/]+/attachments", rf"{PATH}/operator/file")


def page_allowances(rules: AttachmentRules) -> list[Allowance]:
    """The body size limits of the pages' forms that post a file: room for a file over the limit to be refused by its
    field."""
    return [Allowance("POST", path, 2 * rules.max_bytes + MULTIPART_ENVELOPE_BYTES, too_large_body(rules.max_bytes))
            for path in FILE_FORMS]


@router.post("/complaints/{complaint_id}/attachments")
async def upload(request: Request, complaint_id: str, db: DatabaseDep, posted: PostedDep) -> Response:
    staff, form = posted
    desk = attachment_desk(request)
    sent = form.get(FIELD)
    data = await sent.read(desk.rules.max_bytes + 1) if isinstance(sent, UploadFile) else b""
    try:
        await attach(db, desk, staff.principal, complaint_id, data, clock.now())
    except NotFound as exc:
        return refusal_page(request, staff, exc)
    except IntakeError as exc:
        errors = field_errors(exc.extra.get("errors") or [])
        return await complaint_page(request, db, staff, complaint_id, status_code=exc.status,
                                    errors={FORM: errors}, refusal="" if errors else exc.zh_text)
    return RedirectResponse(f"{PATH}/complaints/{complaint_id}?done=attach", status_code=303)


@router.get("/complaints/{complaint_id}/attachments/{number}")
async def get_file(request: Request, complaint_id: str, number: int, db: DatabaseDep, staff: StaffDep) -> Response:
    if not 1 <= number <= MAX_NUMBER:
        return refusal_page(request, staff, NotFound())
    try:
        found = await download(db, attachment_desk(request).store, staff.principal, complaint_id, number)
    except IntakeError as exc:
        return refusal_page(request, staff, exc)
    return file_response(found)
