"""Every form, every token URL, every query string and every POST body, fuzzed.

Each route comes from the route registry, so a new view is fuzzed the day it is
registered. Each hypothesis example runs in a savepoint that is rolled back, as the
persona the route is meant for (world.PERSONA_FOR). ``fuzzkit.send`` fails a case on
a 5xx, an exception, an ERROR log record or an unescaped script marker.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from fuzzkit import (
    BOUNDARY,
    TALLY,
    form_bodies,
    form_fields,
    fuzz_settings,
    generic_message,
    json_bodies,
    multipart,
    query_strings,
    send,
    urlencoded,
)
from hypothesis import given
from hypothesis import strategies as st
from world import World, get_routes, persona_for, post_routes, rolled_back

from plusone.tokens.models import AccessToken
from plusone.tokens.service import hash_token

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

POST_ROUTES = post_routes()
# Check-in links, portal sign-in links and observer links.
TOKEN_KINDS = ("token", "portal_token", "observer_token")
TOKEN_ROUTES = [r for r in get_routes() if set(TOKEN_KINDS) & set(r.examples.values())]
_ERRORLIST = re.compile(rb'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', re.S)


def _route_id(route: Any) -> str:
    return route.name


def _check_rerender(response: Any) -> None:
    """A 200 re-render names what is wrong: no generic message, no empty error list."""
    if response.status_code != 200:
        return
    generic = generic_message(response.content)
    assert generic is None, f"generic error message {generic!r}"
    for items in _ERRORLIST.findall(response.content):
        assert re.sub(rb"<[^>]+>|\s", b"", items), "an empty error list"


@pytest.mark.parametrize("route", POST_ROUTES, ids=_route_id)
def test_it_answers_hostile_form_posts_without_a_server_error(
    route: Any, fuzz_world: World
) -> None:
    fields = fuzz_world.fields_for(route)
    persona = persona_for(route)

    @fuzz_settings(36)
    @given(body=form_bodies(fields), as_multipart=st.booleans())
    def case(body: list[Any], as_multipart: bool) -> None:
        TALLY.examples += 1
        with rolled_back():
            web = fuzz_world.web(persona)
            url = fuzz_world.url(route)
            if as_multipart:
                content_type = f"multipart/form-data; boundary={BOUNDARY}"
                data = multipart(body)
            else:
                content_type, data = "application/x-www-form-urlencoded", urlencoded(body)
            response = send("form posts", web, "POST", url, data=data, content_type=content_type)
            _check_rerender(response)

    case()


@pytest.mark.parametrize("route", POST_ROUTES, ids=_route_id)
def test_it_answers_json_and_wrong_content_types_without_a_server_error(
    route: Any, fuzz_world: World
) -> None:
    persona = persona_for(route)
    content_types = st.sampled_from(
        [
            "application/json",
            "application/json; charset=latin-1",
            "text/plain",
            "multipart/form-data",
            f"multipart/form-data; boundary={BOUNDARY}",
            "multipart/form-data; boundary=",
            "application/x-www-form-urlencoded; charset=utf-16",
            "application/x-www-form-urlencoded; charset=nonsense",
            "",
        ]
    )

    @fuzz_settings(20)
    @given(body=st.one_of(json_bodies(), st.binary(max_size=300)), content_type=content_types)
    def case(body: bytes, content_type: str) -> None:
        TALLY.examples += 1
        with rolled_back():
            web = fuzz_world.web(persona)
            send(
                "json and content types",
                web,
                "POST",
                fuzz_world.url(route),
                data=body,
                content_type=content_type,
            )

    case()


def test_it_answers_random_query_strings_on_every_page(fuzz_world: World) -> None:
    routes = get_routes()

    @fuzz_settings(16)
    @given(query=query_strings())
    def case(query: bytes) -> None:
        TALLY.examples += 1
        with rolled_back():
            webs: dict[str, Any] = {}
            for route in routes:
                persona = persona_for(route)
                web = webs.get(persona) or webs.setdefault(persona, fuzz_world.web(persona))
                url = fuzz_world.url(route)
                send("query strings", web, "GET", f"{url}?{query.decode('ascii')}")

    case()


def _tokens() -> st.SearchStrategy[str]:
    """A token path segment, already percent-encoded where it needs to be."""
    text = st.text(st.characters(codec="utf-8"), max_size=300).map(lambda t: quote(t, safe=""))
    raw = st.binary(max_size=200).map(lambda b: quote(b, safe=""))
    known = st.sampled_from(
        [
            "%00",
            "abc%00def",
            "A" * 5000,
            "%FF%FE",
            "%ED%A0%80",
            "..%2F..%2Fetc%2Fpasswd",
            "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
            "' OR 1=1 --".replace(" ", "%20"),
            "%E2%80%AE",
        ]
    )
    return st.one_of(text, raw, known)


@pytest.mark.parametrize("route", TOKEN_ROUTES, ids=_route_id)
def test_it_shows_a_polite_page_for_a_bad_link_and_never_uses_a_real_token(
    route: Any, fuzz_world: World
) -> None:
    kind = next(k for k in TOKEN_KINDS if k in route.examples.values())
    real = fuzz_world.objects[kind]
    prefix = fuzz_world.url(route).removesuffix(real)
    stored = AccessToken.objects.get(token_hash=hash_token(real))

    @fuzz_settings(120)
    @given(segment=st.one_of(_tokens(), _tokens().map(lambda t: real + t)))
    def case(segment: str) -> None:
        TALLY.examples += 1
        with rolled_back():
            response = send("token urls", fuzz_world.web("anonymous"), "GET", prefix + segment)
            assert response.status_code in (200, 302, 400, 404, 410), response.status_code
            stored.refresh_from_db()
            assert stored.used_at is None and stored.revoked_at is None

    case()
    # The real link still opens after all that.
    assert fuzz_world.web("anonymous").get(prefix + real).status_code == 302


# The sign-in pages are allauth's views, outside the route registry, and public.
SIGN_IN_FORMS = ["/accounts/login/", "/accounts/password/reset/"]


@pytest.mark.parametrize("url", SIGN_IN_FORMS)
def test_it_answers_hostile_sign_in_posts_without_a_server_error(
    url: str, fuzz_world: World
) -> None:
    page = fuzz_world.web("anonymous").get(url)
    assert page.status_code == 200, page.status_code
    fields = form_fields(page.content)
    assert fields, "the page shows no form"

    @fuzz_settings(36)
    @given(body=form_bodies(fields))
    def case(body: list[Any]) -> None:
        TALLY.examples += 1
        with rolled_back():
            response = send(
                "sign-in posts",
                fuzz_world.web("anonymous"),
                "POST",
                url,
                data=urlencoded(body),
                content_type="application/x-www-form-urlencoded",
            )
            _check_rerender(response)

    case()
