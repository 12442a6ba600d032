"""Attachments (附件): the photos and documents filers and handlers add to a complaint, and who may read them.

- **What**: JPEG, PNG, WebP and HEIC photos and PDF documents (``ATTACHMENT_KINDS``), recognised from their content
  (``filetype``), never from the name or the declared type: an executable named ``photo.jpg`` is refused. At most
  ``ATTACHMENT_MAX_BYTES`` (10 MB) each and ``ATTACHMENTS_PER_COMPLAINT`` (10) per complaint.
- **Who**: whoever may read the complaint reads its attachments (``access.relation``): its filer with the filer token,
  the hotline operator who filed it, its lead and cooperating departments' handlers, dispatchers, supervisors and
  admins; anyone else gets 404. The filer (or that operator) and the handlers of the lead and cooperating departments
  add them; dispatchers, supervisors and admins only read (403). A closed complaint takes no more (409).
- **Order of writes**: the file goes to the object store first, under its SHA-256; the row naming it (and its history
  entry) commits after. A crash between the two leaves a file no row names — harmless, nobody can reach it, and the
  retry stores the same bytes under the same key — and never a row naming a missing file.
- **Privacy**: the name the file had on the uploader's device is not kept anywhere (not in the row, the history, the
  logs): names like ``王小明身份证.pdf`` or ``13812345678.jpg`` are personal data, and the product does not need
  them. The history records the attachment's number, kind and size; a download is named after the complaint's
  tracking number and that number (``TS20261206-7K3M9P-2.jpg``).
- **Retries**: the same file attached to the same complaint again is the attachment it already has (no second row).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import filetype
from sqlalchemy import insert, select

from services.intake.domain.access import Relation, relation
from services.intake.errors import Conflict, Forbidden, IntakeError, NotFound, Unprocessable
from services.intake.domain.lifecycle import Status
from services.intake.models import Attachment, Complaint, Cooperation
from services.intake.store import INSERT_HISTORY
from shared.auth import Principal
from shared.db import Database, UnitOfWork
from shared.ids import new_id
from shared.settings import IntakeSettings
from shared.storage import ObjectStore, StorageUnavailable
from shared.vocabulary import ATTACHMENT_KINDS, size_text

ATTACHMENT = Attachment.__table__
INSERT_ATTACHMENT = insert(ATTACHMENT)
#: Relations that may add attachments (the others may only read them).
ADDERS = frozenset({Relation.filer, Relation.operator, Relation.lead, Relation.cooperating})
#: The form field an upload sends its file in.
FIELD = "file"


@dataclass(frozen=True)
class AttachmentRules:
    max_bytes: int = 10 * 1024 * 1024
    per_complaint: int = 10

    @classmethod
    def from_settings(cls, settings: IntakeSettings) -> "AttachmentRules":
        return cls(settings.attachment_max_bytes, settings.attachments_per_complaint)


@dataclass(frozen=True)
class AttachmentDesk:
    """What attaching needs from the hosting app: the object store and the limits."""

    store: ObjectStore
    rules: AttachmentRules


@dataclass(frozen=True)
class Attached:
    attachment: Attachment
    #: False when the same file was already attached to the complaint (a retry): nothing was written.
    created: bool
    #: The caller's relation to the complaint (how it is shown to them).
    rel: Relation


# --- refusals -------------------------------------------------------------------------------------------------------


def too_large_body(max_bytes: int) -> dict[str, Any]:
    """The 413 answer to a file over the limit — of the upload endpoint, and of the body size limit before it."""
    limit = size_text(max_bytes)
    entry = {"field": FIELD, "code": "file_too_large", "message": f"An attachment may be at most {limit}",
             "message_zh": f"附件不能超过 {limit}，请压缩或分页后再上传"}
    return {"error": "file_too_large", "message": f"The file is larger than {limit}; nothing was saved.",
            "message_zh": f"文件超过 {limit}，未作任何保存。", "errors": [entry]}


class FileTooLarge(IntakeError):
    status, code = 413, "file_too_large"

    def __init__(self, max_bytes: int) -> None:
        body = too_large_body(max_bytes)
        super().__init__(body["message"], body["message_zh"], errors=body["errors"])


class AttachmentStoreUnavailable(IntakeError):
    status, code = 503, "storage_unavailable"
    en = "Attachments cannot be stored or read right now, please retry"
    zh = "附件暂时无法保存或读取，请稍后重试"

    def __init__(self) -> None:
        super().__init__()
        self.headers = {"Retry-After": "5"}


#: The accepted formats by name (JPEG, PNG …), as the refusal lists them.
FORMATS = [name.split(" ")[0] for name in ATTACHMENT_KINDS.values()]


def kind_of(data: bytes) -> str:
    """The media type ``data`` is, by its content, if it is one a complaint may carry; else a 422 on the file."""
    if not data:
        raise Unprocessable(FIELD, "file_empty", "The file is empty", "文件为空")
    guessed = filetype.guess(data)
    if guessed is None or guessed.mime not in ATTACHMENT_KINDS:
        raise Unprocessable(
            FIELD, "file_type_not_allowed",
            f"Only photos and PDF documents ({', '.join(FORMATS)}) may be attached; the content of this file is not "
            "one of them, whatever its name says",
            f"只能上传照片或 PDF 文档（{'、'.join(FORMATS)}）；按文件内容判断，此文件不属于这些类型（与文件名无关）")
    return guessed.mime


def extension(kind: str) -> str:
    return filetype.get_type(mime=kind).extension


# --- reading the complaint ------------------------------------------------------------------------------------------


async def _visible(uow: UnitOfWork, caller: Principal, complaint_id: str, *, lock: bool = False
                   ) -> tuple[Complaint, Relation]:
    """The complaint and the caller's relation to it; 404 when the caller may not see it. ``lock`` holds the row
    until commit (on PostgreSQL), so two uploads to one complaint count and number their attachments in turn."""
    query = select(Complaint).where(Complaint.id == complaint_id)
    complaint = (await uow.session.execute(query.with_for_update() if lock else query)).scalar_one_or_none()
    if complaint is None:
        raise NotFound()
    cooperating = (await uow.session.scalars(
        select(Cooperation.department).where(Cooperation.complaint_id == complaint_id))).all()
    rel = relation(caller, complaint, cooperating)
    if rel is None:
        raise NotFound()
    return complaint, rel


def _may_add(complaint: Complaint, rel: Relation) -> None:
    if rel not in ADDERS:
        raise Forbidden("Only the filer and the handling departments add attachments",
                        "只有诉求人和承办、协办部门可以添加附件")
    if complaint.status == Status.closed.value:
        raise Conflict("The complaint is closed; it takes no more attachments", "诉求已办结，不能再添加附件",
                       current_status=complaint.status)


async def _attachments(uow: UnitOfWork, complaint_id: str) -> list[Attachment]:
    result = await uow.session.scalars(
        select(Attachment).where(Attachment.complaint_id == complaint_id).order_by(Attachment.number))
    return list(result.all())


def _already(existing: list[Attachment], digest: str, rules: AttachmentRules, rel: Relation) -> Attached | None:
    """The attachment the complaint already has with this content (a retry), else None — or 422 when it has no room
    for another."""
    same = next((a for a in existing if a.sha256 == digest), None)
    if same is not None:
        return Attached(same, False, rel)
    if len(existing) >= rules.per_complaint:
        raise Unprocessable(FIELD, "too_many_attachments",
                            f"A complaint may have at most {rules.per_complaint} attachments",
                            f"每件诉求最多 {rules.per_complaint} 个附件，已达上限")
    return None


# --- commands and queries -------------------------------------------------------------------------------------------


async def attach(db: Database, desk: AttachmentDesk, caller: Principal, complaint_id: str, data: bytes,
                 now: datetime) -> Attached:
    """Attach ``data`` to the complaint as ``caller``: checked (who, the complaint's state, size, kind, count), stored,
    then recorded with its history entry. The page that files a complaint calls this for the photo sent with it."""
    rules = desk.rules
    async with db.unit_of_work() as uow:  # refuse what will be refused before storing anything
        complaint, rel = await _visible(uow, caller, complaint_id)
        _may_add(complaint, rel)
        existing = await _attachments(uow, complaint_id)
    if len(data) > rules.max_bytes:
        raise FileTooLarge(rules.max_bytes)
    kind = kind_of(data)
    digest = hashlib.sha256(data).hexdigest()
    if (already := _already(existing, digest, rules, rel)) is not None:
        return already
    try:
        await desk.store.put(digest, data, kind)
    except StorageUnavailable:
        raise AttachmentStoreUnavailable() from None
    async with db.unit_of_work() as uow:
        complaint, rel = await _visible(uow, caller, complaint_id, lock=True)
        _may_add(complaint, rel)
        existing = await _attachments(uow, complaint_id)
        if (already := _already(existing, digest, rules, rel)) is not None:
            return already
        number = max((a.number for a in existing), default=0) + 1
        row = {"id": new_id(), "complaint_id": complaint_id, "number": number, "kind": kind,
               "size": len(data), "sha256": digest, "added_at": now, "added_by": caller.actor}
        uow.write(INSERT_ATTACHMENT, row)
        uow.write(INSERT_HISTORY, {
            "complaint_id": complaint_id, "at": now, "actor": caller.actor, "action": "attached",
            "detail": {"number": number, "kind": kind, "size": len(data)},
        })
        await uow.commit()
    return Attached(Attachment(**row), True, rel)


async def attachments_of(db: Database, caller: Principal, complaint_id: str) -> tuple[Relation, list[Attachment]]:
    """The complaint's attachments, for whoever may read the complaint (404 otherwise)."""
    async with db.unit_of_work() as uow:
        _complaint, rel = await _visible(uow, caller, complaint_id)
        return rel, await _attachments(uow, complaint_id)


@dataclass(frozen=True)
class Download:
    attachment: Attachment
    content: bytes
    #: The name the file is saved as: the tracking number and the attachment's number (``TS…-2.jpg``).
    filename: str


async def download(db: Database, store: ObjectStore, caller: Principal, complaint_id: str, number: int) -> Download:
    """One attachment's content, for whoever may read the complaint (404 otherwise, and for no such number)."""
    async with db.unit_of_work() as uow:
        complaint, _rel = await _visible(uow, caller, complaint_id)
        found = await uow.session.scalars(select(Attachment).where(
            Attachment.complaint_id == complaint_id, Attachment.number == number))
        attachment = found.one_or_none()
    if attachment is None:
        raise NotFound("No such attachment", "未找到该附件")
    try:
        content = await store.get(attachment.sha256)
    except StorageUnavailable:
        raise AttachmentStoreUnavailable() from None
    return Download(attachment, content, f"{complaint.tracking_number}-{number}.{extension(attachment.kind)}")
