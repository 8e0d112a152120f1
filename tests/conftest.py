"""Shared test set-up: the test profile and the personas.

The personas live in tests/personas.py (see its docstring for who is who);
here they are fixtures for plain pytest functions:

- ``personas``: a :class:`personas.Personas` with every persona created;
- ``login_as``: the helper ``login_as(test_client, user)`` that signs a persona
  in as MFA-verified.

``django.test.TestCase`` classes import them directly:
``from personas import login_as, make_personas``.
"""

from __future__ import annotations

import os

# Before Django loads: the test profile generates throwaway keys in a temp dir.
os.environ.setdefault("PLUSONE_PROFILE", "test")

import pytest


@pytest.fixture
def personas(db):  # type: ignore[no-untyped-def]
    from personas import make_personas

    return make_personas()


@pytest.fixture
def login_as():  # type: ignore[no-untyped-def]
    from personas import login_as as helper

    return helper
