"""The ceiling for intake's rate: a bare FastAPI endpoint that parses a body of the same shape and size as a filing,
with no validation beyond types, no database and no bus."""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Filer(BaseModel):
    enterprise_name: str
    credit_code: str
    contact_name: str
    mobile: str


class Body(BaseModel):
    title: str
    text: str
    channel: str
    filer: Filer


@app.post("/v1/complaints", status_code=201)
async def parse(body: Body) -> dict[str, str]:
    return {"id": "0", "title": body.title}
