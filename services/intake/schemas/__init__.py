"""Request and response bodies of the intake API, with the validation rules for each field, by role: the rules
every body shares (``base``), who files (``filer``), the filing (``filing``), what readers get (``views``) and the
lifecycle actions' bodies (``work``). Every name is importable from the package itself."""

from services.intake.schemas.base import RequestBody, check_department, check_township, not_blank, readable
from services.intake.schemas.filer import (
    CREDIT_CODE_PATTERN,
    FILER_KIND_ZH,
    HOTLINE,
    ID_NUMBER_PATTERN,
    PHONE_PATTERN,
    AnonymousFilerIn,
    CitizenFilerIn,
    Filer,
    FilerIn,
    FilerKind,
    check_credit_code,
    filer_contact,
    is_cn_mobile,
    mask_id_number,
    mask_mobile,
    show_mobile,
)
from services.intake.schemas.filing import (
    IDEMPOTENCY_KEY_MAX,
    TEXT_MAX,
    TITLE_MAX,
    Channel,
    ComplaintCreate,
    ComplaintCreated,
    check_idempotency_key,
)
from services.intake.schemas.views import (
    ComplaintView,
    ContactView,
    HistoryItem,
    MessageItem,
    QueueItem,
    QueuePage,
)
from services.intake.schemas.work import (
    NOTE_MAX,
    ContactBody,
    CooperatingBody,
    DispatchBody,
    QuestionBody,
    Rating,
    RatingBody,
    ReturnBody,
    TextBody,
)

__all__ = [
    "CREDIT_CODE_PATTERN", "FILER_KIND_ZH", "HOTLINE", "ID_NUMBER_PATTERN", "IDEMPOTENCY_KEY_MAX", "NOTE_MAX",
    "PHONE_PATTERN", "TEXT_MAX", "TITLE_MAX", "AnonymousFilerIn", "Channel", "CitizenFilerIn", "ComplaintCreate",
    "ComplaintCreated", "ComplaintView", "ContactBody", "ContactView", "CooperatingBody", "DispatchBody", "Filer",
    "FilerIn", "FilerKind", "HistoryItem", "MessageItem", "QueueItem", "QueuePage", "QuestionBody", "Rating",
    "RatingBody", "RequestBody", "ReturnBody", "TextBody", "check_credit_code", "check_department", "check_idempotency_key",
    "check_township", "filer_contact", "is_cn_mobile", "mask_id_number", "mask_mobile", "not_blank", "readable", "show_mobile",
]
