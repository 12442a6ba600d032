"""Fixtures of the router tests: the classifier as shipped, a fresh one for learning, and our own labeled complaints."""

import json
from pathlib import Path

import pytest

from services.router.domain.classifier import Classifier

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def classifier() -> Classifier:
    return Classifier.load()


@pytest.fixture
def fresh_classifier() -> Classifier:
    return Classifier.load()


@pytest.fixture(scope="session")
def own_complaints() -> list[dict]:
    lines = (DATA / "own_complaints.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]
