"""No stored script, no stored NUL: post payloads into every form, then read every page.

Unlike the other fuzz tests nothing is rolled back: each POST route gets its real
values with every free-text field set to a payload, then every GET route is read
as every persona and must not show a payload unescaped, and no text column may
hold a NUL.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from fuzzkit import SCRIPT, send, urlencoded
from world import World, get_routes, persona_for, post_routes

from access_fixtures import PERSONAS

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

PAYLOADS = [*SCRIPT[:3], SCRIPT[5], "nul\x00inside", "bell\x07and\x1b escape"]
# Routes that end or remove what later posts need go last.
LAST = ("destroy", "withdraw", "reverse", "release", "exit", "skip")


def _order(route: Any) -> tuple[bool, str]:
    return any(word in route.name for word in LAST), route.name


# A plausible value for an empty <input> of each type, so the rest of the form is valid.
PLAUSIBLE = {
    "date": "2026-01-15",
    "datetime-local": "2026-01-15T10:00",
    "time": "10:00",
    "email": "someone@example.org",
    "number": "1",
    "checkbox": "on",
    "url": "https://example.org/",
    "tel": "+1 416 555 0100",
}


def _body(world: World, fields: dict[str, list[str]], payload: str) -> list[tuple[str, str]]:
    """Real values where the page has them, plausible ones by input type, and the payload
    in every free-text field."""
    body = []
    for name, values in sorted(fields.items()):
        real = [v for v in values if v]
        if name in world.typed:
            value = payload
        elif real:
            value = real[0]
        else:
            value = PLAUSIBLE.get(world.types.get(name, ""), payload)
        body.append((name, value))
    return body


def holders(needle: str) -> list[str]:
    """``model.field`` for every stored text (plain, encrypted or JSON) holding ``needle``."""
    found = []
    for model in apps.get_models():
        text = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if not text:
            continue
        for obj in model._base_manager.all().iterator():
            for f in text:
                value = getattr(obj, f.attname)
                if isinstance(f, models.JSONField):
                    value = json.dumps(value, ensure_ascii=False)
                    value = value.replace("\\u0000", "\x00")
                if isinstance(value, str) and needle in value:
                    found.append(f"{model._meta.label}.{f.name}")
    return sorted(set(found))


def test_it_stores_no_script_and_no_nul_from_any_form(fuzz_world: World) -> None:
    posted = 0
    for route in sorted(post_routes(), key=_order):
        fields = fuzz_world.fields_for(route)
        for payload in PAYLOADS:
            web = fuzz_world.web(persona_for(route))
            body = urlencoded(_body(fuzz_world, fields, payload))
            send(
                "stored script: posts",
                web,
                "POST",
                fuzz_world.url(route),
                data=body,
                content_type="application/x-www-form-urlencoded",
            )
            posted += 1
    assert posted >= len(post_routes()) * len(PAYLOADS)
    # The payloads were stored somewhere, so the crawl below has script to show.
    stored = holders("<script>alert(")
    print(f"\nstored script payloads in: {', '.join(stored)}")
    assert stored, "no form stored the payload"
    for persona in PERSONAS:
        web = fuzz_world.web(persona)
        for route in get_routes():
            # send() fails on any unescaped payload marker in the page.
            send("stored script: crawl", web, "GET", fuzz_world.url(route))
    assert holders("\x00") == []
