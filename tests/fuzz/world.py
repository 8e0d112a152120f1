"""The world the fuzz tests act in: personas, Bob's objects, and each route's persona and fields."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from fuzzkit import form_fields, input_types, typed_fields

from access_fixtures import example_objects, web_as
from plusone.web.routes import Policy, Route, registered_routes

# The persona each policy is meant for (tests/personas.py).
PERSONA_FOR = {
    Policy.PUBLIC: "anonymous",
    Policy.CHECKIN_SESSION: "bob_checkin",
    Policy.STAFF_ANY: "alice",
    Policy.THERAPIST: "alice",
    Policy.SUPERVISOR: "sam",
    Policy.ADMIN: "erin",
    Policy.PRIVACY_OFFICER: "erin",
    Policy.PORTAL: "bob_portal",
}
# Routes meant for someone other than their policy's persona: the portal's PIN form is
# public, and fuzzed as a client who has opened a sign-in link; the observer's form is Olive's.
PERSONA_FOR_ROUTE = {"portal:signin_pin": "bob_signing_in", "observers:form": "olive"}


def persona_for(route: Route) -> str:
    return PERSONA_FOR_ROUTE.get(route.name) or PERSONA_FOR[route.policy]


def post_routes() -> list[Route]:
    return [r for r in registered_routes() if "POST" in r.methods]


def get_routes() -> list[Route]:
    return [r for r in registered_routes() if "GET" in r.methods]


def ids(objects: dict[str, Any]) -> dict[str, list[str]]:
    """Fields naming each object the way forms do (``client_id``, ``episode``, ...)."""
    found: dict[str, list[str]] = {}
    for kind, obj in objects.items():
        value = str(getattr(obj, "pk", obj))
        found[kind] = found[f"{kind}_id"] = [value]
    return found


@dataclass
class World:
    p: Any
    objects: dict[str, Any]
    _pages: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    typed: set[str] = field(default_factory=set)
    types: dict[str, str] = field(default_factory=dict)

    def web(self, persona: str) -> Any:
        return web_as(self.p, persona)

    def url(self, route: Route) -> str:
        return route.example_url(self.objects)

    def fields_for(self, route: Route) -> dict[str, list[str]]:
        """The route's own page's fields; for a POST-only route, every field its persona sees."""
        persona = persona_for(route)
        if "GET" in route.methods:
            found = self._fields(persona, [route])
        else:
            found = self._fields(persona, [r for r in get_routes() if persona_for(r) == persona])
        merged = {**ids(self.objects), **found}
        return merged

    def _fields(self, persona: str, routes: list[Route]) -> dict[str, list[str]]:
        merged: dict[str, list[str]] = {}
        for r in routes:
            key = f"{persona} {r.name}"
            if key not in self._pages:
                with rolled_back():
                    response = self.web(persona).get(self.url(r), follow=True)
                    self._pages[key] = form_fields(response.content)
                    self.typed |= typed_fields(response.content)
                    self.types.update(input_types(response.content))
            for name, values in self._pages[key].items():
                merged.setdefault(name, []).extend(v for v in values if v not in merged[name])
        return merged


class _Rollback(Exception):
    pass


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run the body in a savepoint that is always rolled back: each example starts clean."""
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


def build_world(p: Any) -> World:
    objects = example_objects(p)
    # Bob agrees to the check-in consent once, so /checkin/ shows the first group's form.
    web_as(p, "bob_checkin").post("/checkin/consent/", {"choice": "agree"})
    return World(p, objects)
