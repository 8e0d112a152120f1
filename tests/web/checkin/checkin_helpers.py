"""Helpers for the check-in tests: issue a link for Bob and walk through the pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from plusone.measures import actions
from plusone.measures.forms import field_name

# PHQ-9 answers from STYLE.md's worked example: total 11, "moderate", item 9 = 0.
PHQ9_MODERATE = {f"phq9_{i}": v for i, v in enumerate([1, 1, 2, 2, 1, 2, 1, 1, 0], start=1)}


def phq9_with_item9(value: int) -> dict[str, int]:
    return {**PHQ9_MODERATE, "phq9_9": value}


def issue(user: Any, person: Any, **kwargs: Any) -> tuple[str, Any]:
    """Issue a check-in link; return (the /c/<token> path, the token row)."""
    issued = actions.issue_checkin_link(
        acting_user=user, client=person, send_email=kwargs.pop("send_email", False), **kwargs
    )
    return urlsplit(issued.url).path, issued.token


def form_data(key: str, answers: Mapping[str, Any], action: str = "next") -> dict[str, Any]:
    data = {"group": key, "action": action}
    for item_id, value in answers.items():
        data[field_name(key, item_id)] = "" if value is None else str(value)
    return data


def complete(web: Any, path: str, answers_by_key: Mapping[str, Mapping[str, Any]]) -> Any:
    """Open the link and answer each group the page asks for; return the last response."""
    response = web.get(path)
    assert response.status_code == 302, response.status_code
    for _ in range(10):
        page = web.get("/checkin/")
        if page.status_code == 302:
            return page
        key = page.context["group"].key
        total = page.context["total"]
        position = page.context["position"]
        action = "submit" if position == total else "next"
        response = web.post("/checkin/", form_data(key, answers_by_key[key], action))
        if position == total:
            return response
    raise AssertionError("the check-in never ended")
