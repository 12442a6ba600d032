"""Intake's HTTP endpoints for attachments (附件): upload a photo or PDF to a complaint (multipart), list them, download
one. The rules are ``attachments.py``'s; these endpoints translate HTTP into its calls.

Uploads are the one route allowed a body larger than ``MAX_BODY_BYTES``: the attachment limit plus the multipart
envelope (``upload_allowance``). A download is sent with its recognised type, ``X-Content-Type-Options: nosniff``, as
an ``attachment`` named after the tracking number, and with a sandboxing Content-Security-Policy: a browser saves or
shows it, never runs it as a page of this site.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, File, Path, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from services.intake.domain.access import Relation
from services.intake.attachments import (
    AttachmentDesk,
    AttachmentRules,
    Download,
    attach,
    attachments_of,
    download,
    too_large_body,
)
from services.intake.http.deps import CallerDep, DatabaseDep
from services.intake.models import Attachment
from services.intake.views import filer_actor
from shared import clock
from shared.calendar import SHANGHAI
from shared.limits import Allowance
from shared.problems import responses
from shared.vocabulary import ATTACHMENT_KINDS

router = APIRouter(prefix="/v1", tags=["attachments"], responses=responses(422, 503))

#: Room for the multipart envelope around the file (boundaries, part headers): far more than it ever takes.
MULTIPART_ENVELOPE_BYTES = 64 * 1024
#: Attachment numbers a URL may name (a complaint has far fewer).
MAX_NUMBER = 9999
_FILER_SIDE = {Relation.filer, Relation.operator}
FILE_DESCRIPTION = ("照片（JPEG、PNG、WebP、HEIC）或 PDF 文档，不超过 ATTACHMENT_MAX_BYTES（默认 10 MB）；"
                    "类型按文件内容判断，与文件名无关")


#: The upload route, as the body size limit matches request paths.
UPLOAD_PATH = r"/v1/complaints/[^/]+/attachments"


def upload_allowance(rules: AttachmentRules, path: str = UPLOAD_PATH) -> Allowance:
    """The body size limit of a route that takes one attachment (this API's upload, or a page's form posting one
    file): the attachment and its multipart envelope, refused as a file too large."""
    return Allowance("POST", path, rules.max_bytes + MULTIPART_ENVELOPE_BYTES, too_large_body(rules.max_bytes))


def attachment_desk(request: Request) -> AttachmentDesk:
    """The hosting app's object store and attachment limits (for these endpoints and the pages that upload)."""
    return request.app.state.runtimes["intake"].components["attachments"]


DeskDep = Annotated[AttachmentDesk, Depends(attachment_desk)]
NumberPath = Annotated[int, Path(ge=1, le=MAX_NUMBER, description="the attachment's number within the complaint")]


class AttachmentItem(BaseModel):
    """One attachment as its readers see it: no original file name is kept."""

    number: int
    kind: str
    kind_zh: str
    size: int
    added_at: datetime
    added_by: str
    url: str


def item(attachment: Attachment, *, for_filer: bool) -> AttachmentItem:
    return AttachmentItem(
        number=attachment.number, kind=attachment.kind, kind_zh=ATTACHMENT_KINDS.get(attachment.kind, attachment.kind),
        size=attachment.size, added_at=attachment.added_at.astimezone(SHANGHAI),
        added_by=filer_actor(attachment.added_by) if for_filer else attachment.added_by,
        url=f"/v1/complaints/{attachment.complaint_id}/attachments/{attachment.number}",
    )


@router.post("/complaints/{complaint_id}/attachments", status_code=201, response_model=AttachmentItem,
             responses={200: {"model": AttachmentItem, "description": "This file was already attached (a retry)"},
                        **responses(400, 401, 403, 404, 409, 413)})
async def upload_attachment(
    complaint_id: str, db: DatabaseDep, caller: CallerDep, desk: DeskDep,
    file: Annotated[UploadFile, File(description=FILE_DESCRIPTION)],
) -> JSONResponse:
    """Attach a photo or PDF (multipart field ``file``): the filer (filer token, or the operator who filed it) and the
    lead and cooperating departments' handlers. ``413`` over the size limit, ``422`` for a file that is not a photo
    or PDF by its content or when the complaint has its limit of attachments, ``409`` once the complaint is closed.
    The same file again answers ``200`` with the attachment it already is."""
    data = await file.read(desk.rules.max_bytes + 1)
    attached = await attach(db, desk, caller, complaint_id, data, clock.now())
    shown = item(attached.attachment, for_filer=attached.rel in _FILER_SIDE)
    return JSONResponse(shown.model_dump(mode="json"), status_code=201 if attached.created else 200,
                        headers={"Location": shown.url})


@router.get("/complaints/{complaint_id}/attachments", response_model=list[AttachmentItem],
            responses=responses(401, 404))
async def list_attachments(complaint_id: str, db: DatabaseDep, caller: CallerDep) -> list[AttachmentItem]:
    """The complaint's attachments, oldest first, for whoever may read the complaint."""
    rel, attachments = await attachments_of(db, caller, complaint_id)
    return [item(a, for_filer=rel in _FILER_SIDE) for a in attachments]


@router.get("/complaints/{complaint_id}/attachments/{number}", response_class=Response,
            responses={200: {"description": "The file, as the type its content was recognised as",
                             "content": {kind: {"schema": {"type": "string", "format": "binary"}}
                                         for kind in ATTACHMENT_KINDS}},
                       **responses(401, 404)})
async def get_attachment(complaint_id: str, number: NumberPath, db: DatabaseDep, caller: CallerDep,
                         desk: DeskDep) -> Response:
    """One attachment's file, for whoever may read the complaint."""
    return file_response(await download(db, desk.store, caller, complaint_id, number))


def file_response(found: Download) -> Response:
    """An attachment's file as this endpoint and the workbench's download send it: saved or shown, never run."""
    return Response(found.content, media_type=found.attachment.kind, headers={
        "Content-Disposition": f'attachment; filename="{found.filename}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        "Cache-Control": "private, no-store",
    })
