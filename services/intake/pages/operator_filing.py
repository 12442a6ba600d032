"""The operator's filing page (话务员代登记): a hotline operator files for a caller on the phone — a citizen, an
enterprise or an anonymous (匿名) caller who gives no contact — on the ``hotline`` channel.

It is the public filing form (``public/file.html``) with the operator's choices, posted with the workbench session's
CSRF token and filed by the same function as ``/file`` (``public_filing.file_from_form``, the API's
``accept_filing`` with the operator as caller, so the complaint is recorded as filed by them and the hotline's rules
apply, a landline with its area code included). Filed, the page shows what to read out to the caller: the tracking
number and the 6-digit access code (once).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.intake.http.deps import FilingCall, filing_desk
from services.intake.errors import NotFound
from services.intake.pages.public_common import page as public_page
from services.intake.pages.public_filing import file_from_form, form_context
from services.intake.pages.session import PATH, PostedDep, Staff, StaffDep
from services.intake.pages.workbench import refusal_page
from services.intake.schemas import Channel
from shared.auth import Role

router = APIRouter(prefix=PATH, include_in_schema=False)
ACTION = f"{PATH}/operator/file"


def filing_page(request: Request, staff: Staff, *, values: dict[str, str], errors: dict[str, str], notice: str = "",
                status_code: int = 200) -> Response:
    context = form_context(request, values=values, errors=errors, notice=notice, csrf=staff.csrf, action=ACTION,
                           hotline=True)
    return public_page(request, "file.html", context, status_code)


@router.get("/operator/file")
async def filing_form(request: Request, staff: StaffDep) -> Response:
    if staff.principal.role is not Role.operator:
        return refusal_page(request, staff, NotFound())
    return filing_page(request, staff, values={}, errors={})


@router.post("/operator/file")
async def file_for_caller(request: Request, posted: PostedDep) -> Response:
    staff, form = posted
    if staff.principal.role is not Role.operator:
        return refusal_page(request, staff, NotFound())

    def again(values: dict[str, str], errors: dict[str, str], notice: str, status_code: int) -> Response:
        return filing_page(request, staff, values=values, errors=errors, notice=notice, status_code=status_code)

    call = FilingCall(filing_desk(request), staff.principal)
    filed = await file_from_form(request, form, call, Channel.hotline, again)
    if isinstance(filed, Response):
        return filed
    return public_page(request, "filed.html", {**filed, "hotline": True}, status_code=201)
