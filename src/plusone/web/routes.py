"""The route registry: every view declares its access policy here, in one place.

Decorate each view with :func:`route`. The decorator both records the policy
and enforces it, so a declared policy is always the one applied. A test walks
the URL resolver and fails on any PlusOne view without one; the access-matrix
and axe crawls walk :func:`registered_routes`.

Example::

    @route(Policy.THERAPIST, examples={"client_id": "client"})
    def client_detail(request, client_id): ...

``examples`` maps each URL kwarg to a kind of object ("client", "episode",
"flag", "session", "goal", "token", ...). A crawler passes a dict of kind ->
object (or raw value) to :meth:`Route.example_url` to build a real URL.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from plusone.accounts.models import Membership


class Policy(enum.StrEnum):
    """Who may reach a view. Data-level checks ("is this client yours?") stay in access_*."""

    PUBLIC = "public"
    # Holds a check-in (or observer) token moved into the session; the view checks it.
    CHECKIN_SESSION = "checkin_session"
    # A client signed into their portal (/me/): plusone.portal.auth.portal_route checks it.
    PORTAL = "portal"
    STAFF_ANY = "staff_any"
    THERAPIST = "therapist"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    PRIVACY_OFFICER = "privacy_officer"


# Roles that satisfy each staff policy (plusone.accounts.models.Role values).
_ROLES: dict[Policy, frozenset[str]] = {
    Policy.STAFF_ANY: frozenset({"therapist", "admin", "privacy_officer", "supervisor"}),
    Policy.THERAPIST: frozenset({"therapist"}),
    Policy.SUPERVISOR: frozenset({"supervisor"}),
    Policy.ADMIN: frozenset({"admin"}),
    Policy.PRIVACY_OFFICER: frozenset({"privacy_officer"}),
}

POLICY_ATTR = "plusone_route"


@dataclass(frozen=True)
class RouteSpec:
    policy: Policy
    examples: Mapping[str, str] = field(default_factory=dict)
    methods: tuple[str, ...] = ("GET",)


def route(
    policy: Policy,
    *,
    examples: Mapping[str, str] | None = None,
    methods: tuple[str, ...] = ("GET",),
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Declare and enforce ``policy`` on a view.

    Staff policies send anonymous users to sign in and answer 403 to a signed-in
    user without the role. ``methods`` lists what the view accepts (for crawls);
    other methods get 405.
    """
    spec = RouteSpec(policy, dict(examples or {}), tuple(m.upper() for m in methods))

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in (*spec.methods, "HEAD" if "GET" in spec.methods else ""):
                from django.http import HttpResponseNotAllowed

                return HttpResponseNotAllowed(spec.methods)
            denied = _enforce(request, spec.policy)
            if denied is not None:
                return denied
            return view(request, *args, **kwargs)

        setattr(wrapper, POLICY_ATTR, spec)
        return wrapper

    return decorate


def _enforce(request: HttpRequest, policy: Policy) -> HttpResponse | None:
    if policy in (Policy.PUBLIC, Policy.CHECKIN_SESSION, Policy.PORTAL):
        return None
    user = request.user
    if not user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.path)

    # One query for the user's roles, kept on the request for the header's nav (web.nav).
    roles = frozenset(Membership.objects.filter(user=user).values_list("role", flat=True))
    request.staff_roles = roles  # type: ignore[attr-defined]
    if not roles & _ROLES[policy]:
        raise PermissionDenied
    return None


@dataclass(frozen=True)
class Route:
    """One registered URL: its name, pattern, policy and example kwargs."""

    name: str
    pattern: str
    policy: Policy
    examples: Mapping[str, str]
    methods: tuple[str, ...]
    view: Callable[..., HttpResponse]

    def example_url(self, objects: Mapping[str, Any]) -> str:
        """Reverse this route with kwargs built from ``objects`` (kind -> object or value)."""
        kwargs = {}
        for kwarg, kind in self.examples.items():
            obj = objects[kind]
            kwargs[kwarg] = getattr(obj, "pk", obj)
        return reverse(self.name, kwargs=kwargs)


def is_ours(view: Callable[..., Any]) -> bool:
    """True for views defined in PlusOne's own packages."""
    module = getattr(view, "__module__", "") or ""
    return module.startswith("plusone.")


def walk(
    patterns: list[URLPattern | URLResolver] | None = None, prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, URLPattern]]:
    """Yield (qualified name, full pattern, URLPattern) for every URL."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            child_ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), child_ns)
        else:
            name = entry.name or ""
            qualified = f"{namespace}:{name}" if namespace and name else name
            yield qualified, prefix + str(entry.pattern), entry


def unregistered_views() -> list[str]:
    """PlusOne views reachable by URL that declare no policy (should be empty)."""
    return [
        pattern
        for _, pattern, entry in walk()
        if is_ours(entry.callback) and not hasattr(entry.callback, POLICY_ATTR)
    ]


def registered_routes() -> list[Route]:
    """Every PlusOne route with a declared policy, in URLconf order."""
    routes = []
    for name, pattern, entry in walk():
        spec: RouteSpec | None = getattr(entry.callback, POLICY_ATTR, None)
        if spec is None or not is_ours(entry.callback):
            continue
        routes.append(
            Route(name, pattern, spec.policy, spec.examples, spec.methods, entry.callback)
        )
    return routes
