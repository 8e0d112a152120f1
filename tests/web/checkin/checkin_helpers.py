"""Helpers for the check-in tests: issue a link for Bob and walk through the pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from personas import TODAY
from plusone.measures import actions
from plusone.measures.forms import field_name

# PHQ-9 answers from STYLE.md's worked example: total 11, "moderate", item 9 = 0.
PHQ9_MODERATE = {f"phq9_{i}": v for i, v in enumerate([1, 1, 2, 2, 1, 2, 1, 1, 0], start=1)}


def phq9_with_item9(value: int) -> dict[str, int]:
    return {**PHQ9_MODERATE, "phq9_9": value}


def issue(user: Any, person: Any, **kwargs: Any) -> tuple[str, Any]:
    """Issue a check-in link; return (the /c/<token> path, the token row)."""
    consent = kwargs.pop("consent", True)
    issued = actions.issue_checkin_link(
        acting_user=user, client=person, send_email=kwargs.pop("send_email", False), **kwargs
    )
    if consent:
        agree_to_consent(issued.token)
    return urlsplit(issued.url).path, issued.token


def agree_to_consent(token: Any) -> None:
    """Record the client's agreement to the current consent wording, as the consent page
    does when they press "I agree" (so tests of later pages start past it)."""
    from plusone.measures.consent import has_current_consent, record_checkin_consent

    if not has_current_consent(token.client):
        record_checkin_consent(token=token, agreed=True)


def agree_on_the_page(web: Any) -> None:
    """Press "I agree" on the consent page when the check-in asks for it."""
    page = web.get("/checkin/")
    if page.status_code == 302 and page.url.endswith("/checkin/consent/"):
        web.post("/checkin/consent/", {"choice": "agree"})


def form_data(key: str, answers: Mapping[str, Any], action: str = "next") -> dict[str, Any]:
    data = {"group": key, "action": action}
    for item_id, value in answers.items():
        data[field_name(key, item_id)] = "" if value is None else str(value)
    return data


def complete(web: Any, path: str, answers_by_key: Mapping[str, Mapping[str, Any]]) -> Any:
    """Open the link and answer each group the page asks for; return the last response."""
    response = web.get(path)
    assert response.status_code == 302, response.status_code
    agree_on_the_page(web)
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


def walk_to(web, token, key: str) -> None:
    """Answer every group before ``key`` with its first options and "Next"."""
    for _ in range(10):
        page = web.get("/checkin/")
        assert page.status_code == 200, page.status_code
        current = page.context["group"].key
        if current == key:
            return
        web.post("/checkin/", form_data(current, answers_for(token, current)))
    raise AssertionError(f"never reached {key}")


def answers_for(token: Any, key: str, **chosen: int) -> dict[str, int]:
    """Answers to every choice item of check-in group ``key`` (each item's first option,
    or the value given by item id)."""
    from plusone.measures.checkin import group_items

    items = group_items(key, token.episode_id, token.practice_id).items
    return {
        i.id: chosen.get(i.id, i.options[0].value) for i in items if i.options and i.kind != "text"
    }


def answer_today(token: Any, **chosen: int) -> Any:
    """Submit whatever the token's check-in asks, through submit_checkin; return the result."""
    from plusone.measures.checkin import plan_for

    draft = actions.open_draft(token)
    assert draft.instruments == plan_for(token).asked
    answers = {key: answers_for(token, key, **chosen) for key in draft.instruments}
    return actions.submit_checkin(link=token, answers=answers, carried_over=list(draft.rolled_on))


def licensed_text(data_dir: Any, practice: Any, key: str, *, stem: str | None = None) -> Any:
    """Write a practice's licensed-text file for ``key`` under data_dir; return its path."""
    from plusone.core.instruments import load_instrument

    folder = data_dir / "licensed" / str(practice.pk)
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f'instrument = "{key}"', 'licence = "Licensed to the test practice, 2026"']
    if stem:
        lines.append(f'stem = "{stem}"')
    lines.append("[items]")
    inst = load_instrument(key)
    lines += [f'{i.id} = "Licensed text of {i.id}"' for i in inst.items if i.kind != "goal"]
    path = folder / f"{key}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def decide(p: Any, episode: Any, phase: str, *, on: Any = None, **extra: Any) -> Any:
    """Record a phase decision for the episode, confirmed by the client's spoken word.

    Deepening is reached as the phase table offers it: through the +1 threshold,
    agreed the day before when no phase is agreed yet.
    """
    from plusone.insights.decisions import DecisionData, agreed_phase, record_decision

    on = on or TODAY - dt.timedelta(days=1)
    if phase == "deepening" and agreed_phase(episode) == "none":
        decide(p, episode, "plus_one", on=on - dt.timedelta(days=1))
    deeper = phase == "deepening"
    data = DecisionData(
        kind=extra.pop("kind", "phase_change"),
        phase=phase,
        decided_on=on,
        options_discussed=["go_deeper", "continue"],
        discomfort_acknowledged=deeper,
        symptom_rise_acknowledged=deeper,
        discomfort_note="",
        focus="Being less guarded with my partner" if deeper else "",
        present=["client", "therapist"],
        confirmation=extra.pop("confirmation", "spoken"),
        confirmed_on=on,
        **extra,
    )
    return record_decision(user=p.alice, episode=episode, data=data, today=TODAY)
