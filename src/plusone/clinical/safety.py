"""Crisis resources and the graded safety response, as data.

This is the one place the resources live. The crisis text is practice
configured, in English and French; until a practice sets it, the default
below applies. Either way its ``{read_by}`` slot is filled by
:func:`plusone.clinical.risk.promise_for`'s time, never typed by hand, so the
client is told a time the system keeps (nobody watches the form live).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Resource:
    """A crisis resource shown to a client: a name, how to reach it, and a tel: link."""

    # Lazy translations: resolved in the client's language when the page renders.
    name: str
    how: str
    href: str


RESOURCES: tuple[Resource, ...] = (
    Resource(
        name=_("9-8-8 Suicide Crisis Helpline"),
        how=_("Call or text 9-8-8, any time, day or night."),
        href="tel:988",
    ),
    Resource(
        name=_("Emergency services"),
        how=_("Call 911, or go to the nearest emergency department."),
        href="tel:911",
    ),
    Resource(
        name=_("Hope for Wellness Help Line"),
        how=_("Call 1-855-242-3310, for Indigenous peoples across Canada, any time."),
        href="tel:+18552423310",
    ),
)

# The default crisis text in each language (DESIGN.md, Risk), as data: a practice's own
# replaces both. {read_by} is filled by plusone.clinical.risk.crisis_text.
DEFAULT_CRISIS_TEXTS = {
    "en": (
        "This form is not watched in real time. Your therapist reads it by {read_by}. "
        "If you might act on these thoughts now, call or text 9-8-8, call 911, "
        "or go to the nearest emergency department."
    ),
    "fr": (
        "Ce formulaire n'est pas surveillé en temps réel. Votre thérapeute le lira "
        "d'ici {read_by}. Si vous risquez de passer à l'acte maintenant, appelez ou "
        "textez le 9-8-8, appelez le 911 ou rendez-vous à l'urgence la plus proche."
    ),
}


def default_crisis_text(language: str = "en") -> str:
    """The default crisis text in ``language`` (English when there is none), slot unfilled."""
    return DEFAULT_CRISIS_TEXTS.get(language, DEFAULT_CRISIS_TEXTS["en"])


def current_language() -> str:
    """The language the page is rendering in: "fr" or "en"."""
    return "fr" if (get_language() or "en").lower().startswith("fr") else "en"


# Grades as DESIGN.md sets them: 1 -> own safety plan plus resources; 2-3 -> crisis text.
SAFETY_PLAN_GRADE = 1
CRISIS_GRADE = 2


def response_kind(grade: int) -> str:
    """Which response a client sees for a risk grade: "none", "safety_plan" or "crisis"."""
    if grade >= CRISIS_GRADE:
        return "crisis"
    if grade >= SAFETY_PLAN_GRADE:
        return "safety_plan"
    return "none"
