"""The route registry: every PlusOne view declares its access policy."""

import pytest
from django.test import Client as HttpClient

from personas import make_personas
from plusone.web.routes import Policy, registered_routes, unregistered_views


def test_it_finds_no_plusone_view_without_a_declared_policy():
    assert unregistered_views() == []


def test_it_lists_routes_with_name_pattern_and_policy():
    routes = {r.name: r for r in registered_routes()}
    assert routes["web:healthz"].policy is Policy.PUBLIC
    assert routes["web:healthz"].pattern == "healthz"
    assert routes["insights:caseload"].policy is Policy.THERAPIST
    assert routes["clinical:acknowledge_flag"].methods == ("POST",)


def test_it_leaves_third_party_views_out_of_the_registry():
    assert not any(r.name.startswith("account_") for r in registered_routes())


@pytest.mark.django_db
def test_it_builds_a_working_example_url_for_every_get_route():
    p = make_personas()
    objects = {"client": p.bob, "episode": p.bob.episodes.get(), "token": p.olive_token}
    http = HttpClient()
    for route in registered_routes():
        if "GET" not in route.methods or not set(route.examples.values()) <= set(objects):
            continue
        url = route.example_url(objects)
        assert url.startswith("/")
        # Anyone may ask; nobody gets a server error.
        assert http.get(url).status_code < 500, url


@pytest.mark.django_db
def test_it_sends_anonymous_visitors_of_staff_routes_to_sign_in():
    http = HttpClient()
    staff = [
        r
        for r in registered_routes()
        if r.policy not in (Policy.PUBLIC, Policy.CHECKIN_SESSION, Policy.PORTAL)
    ]
    assert staff
    for route in staff:
        if route.examples or "GET" not in route.methods:
            continue
        response = http.get(route.example_url({}))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], (
            route.name
        )
