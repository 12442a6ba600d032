"""HTTP interface of the router's classifier: ``POST /v1/classify``.

Takes a complaint's title and text and answers with the ranked departments (ids, names, scores), the lead
department, cooperating departments, the financial-service flag, the calibrated confidence, triage, the township
and the explanation dispatchers and handlers see. The classifier is the one the application put on
``app.state.classifier``.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.problems import responses

from .domain.classifier import Classifier

router = APIRouter(tags=["router"])

TITLE_MAX = 200
TEXT_MAX = 5000


class ClassifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field("", max_length=TITLE_MAX, description="complaint title (标题), up to 200 characters")
    text: str = Field(..., min_length=1, max_length=TEXT_MAX, description="complaint text (诉求内容), 1..5000 characters")
    exclude: list[str] = Field(
        default_factory=list, max_length=20, description="department ids that returned (退回) the complaint"
    )

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text must not be blank / 诉求内容不能为空")
        return value


class RankedOut(BaseModel):
    department: str
    name: str
    score: float


class ClassifyResponse(BaseModel):
    department: str
    department_name: str
    also: list[str]
    confidence: float
    financial_service: bool
    triage: bool
    township: str | None
    ranked: list[RankedOut]
    explanation: list[dict]


def _classifier(request: Request) -> Classifier:
    classifier = getattr(request.app.state, "classifier", None)
    if classifier is None:
        raise HTTPException(status_code=503, detail={"error": "classifier_not_loaded",
                                                     "message": "The classifier is not loaded yet",
                                                     "message_zh": "分类模型尚未加载"})
    return classifier


@router.post("/v1/classify", response_model=ClassifyResponse, responses=responses(400, 413, 422, 503))
def classify(body: ClassifyRequest, request: Request) -> ClassifyResponse:
    classifier = _classifier(request)
    unknown = [d for d in body.exclude if d not in classifier.catalog]
    if unknown:
        raise HTTPException(status_code=422, detail={"errors": [{
            "field": "exclude", "code": "department_unknown", "message": f"Unknown department ids: {unknown}",
            "message_zh": f"部门编号不在目录中：{'、'.join(unknown)}"}]})
    decision = classifier.classify(body.title, body.text, exclude=frozenset(body.exclude))
    return ClassifyResponse(
        department=decision.department,
        department_name=classifier.department_name(decision.department),
        also=list(decision.also),
        confidence=decision.confidence,
        financial_service=decision.financial_service,
        triage=decision.triage,
        township=decision.township,
        ranked=[
            RankedOut(department=r.department, name=classifier.department_name(r.department), score=r.score)
            for r in decision.ranked
        ],
        explanation=[dict(e) for e in decision.explanation],
    )
