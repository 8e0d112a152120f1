"""Instruments are data: typed definitions loaded from one TOML file per instrument.

Each file in ``plusone/core/definitions/`` is validated when it is loaded. A malformed
file raises :class:`DefinitionError`, whose message names the file, the field and the
reason. Licensed packs ship structure and scoring without item text; a practice
supplies the text in a local TOML file (``load_instrument(key, licensed_text=path)``).
Until it does, :meth:`Instrument.require_text` raises :class:`LicenceRequired`.

One module on purpose, though long: the dataclasses and the validator that builds them
change together. Every key a definition file may hold is a field here and a check in
``parse_definition``, and the error names it by the same path; split, a new key would
be added in two files that must agree.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast

from plusone.core.change import rc_points

Direction = Literal["lower", "higher"]
LicenceStatus = Literal["ship", "licensed_pack", "practice_developed"]
Respondent = Literal["client", "therapist", "observer"]
ItemKind = Literal["choice", "text", "goal"]
ScoringMethod = Literal["sum", "mean", "none"]
IntervalKind = Literal["every_session", "intake_and_reviews", "days"]

# Burden rule of thumb from DESIGN.md: about 6 s per item and 20 s per free-text field.
DEFAULT_SECONDS_PER_ITEM = 6
DEFAULT_SECONDS_PER_TEXT = 20

# Never ship these in any form (DESIGN.md, "Instruments are data").
NEVER_SHIP = ("ors", "srs", "wemwbs", "swemwbs")


class DefinitionError(ValueError):
    """A definition file is malformed: the message names the file, the field and the reason."""

    def __init__(self, file: str, field_name: str, reason: str) -> None:
        self.file = file
        self.field = field_name
        self.reason = reason
        super().__init__(f"{file}: field '{field_name}': {reason}")


class LicenceRequired(RuntimeError):
    """A licensed pack was asked for its item text before the practice supplied it."""

    def __init__(self, key: str, title: str, holder: str) -> None:
        self.key = key
        self.holder = holder
        super().__init__(
            f"{title} is a licensed instrument and PlusOne does not ship its item text. "
            f"Obtain a licence from {holder}, then supply the text in a local file "
            f"(load_instrument({key!r}, licensed_text=PATH))."
        )


@dataclass(frozen=True)
class Option:
    """One response option: the stored value and the label shown."""

    value: int
    label: str


@dataclass(frozen=True)
class Item:
    """One item. ``text`` is None for a licensed pack until the practice supplies it.

    ``kind`` is "choice" (one of ``options``), "goal" (a 0-10 rating of a goal written
    in the client's own words; the goal text is the client's, not the instrument's) or
    "text" (free text, never scored).
    """

    id: str
    text: str | None
    kind: ItemKind
    options: tuple[Option, ...]
    reverse: bool = False
    scored: bool = True
    required: bool = True
    loinc: str | None = None

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(o.value for o in self.options)

    @property
    def min_value(self) -> int:
        return min(self.values)

    @property
    def max_value(self) -> int:
        return max(self.values)

    @property
    def numeric(self) -> bool:
        return self.kind != "text"


@dataclass(frozen=True)
class Band:
    """A score band, inclusive at both ends. ``severe`` marks the instrument's worst band."""

    min: float
    max: float
    label: str
    severe: bool = False


@dataclass(frozen=True)
class ReliableChangeParams:
    """Reliable-change parameters, each with its published source; never back-calculated.

    Either Jacobson-Truax's SD and reliability (``sd`` given: RC points at the
    95 % level), or a criterion published for a cited sample (``published_points``
    at ``published_level``), or a named service convention (``convention_points``)
    where no clinical-sample SD has been sourced yet. ``sample`` names the sample
    the SD or criterion comes from; ``clinical`` says whether it is a clinical one.
    """

    reliability: float
    reliability_source: str
    sample: str
    clinical: bool
    sd: float | None = None
    sd_source: str = ""
    published_points: int | None = None
    published_level: float | None = None
    published_source: str = ""
    convention_points: int | None = None
    convention_name: str = ""
    convention_source: str = ""

    @property
    def points(self) -> int:
        """The smallest whole-number change that counts as reliable."""
        if self.sd is not None:
            # Jacobson-Truax: |RCI| > 1.959964.
            return rc_points(self.sd, self.reliability)
        if self.published_points is not None:
            return self.published_points
        assert self.convention_points is not None
        return self.convention_points

    @property
    def basis(self) -> str:
        """Where the points come from, in a few words (the trace says it)."""
        if self.sd is not None:
            return (
                f"Jacobson-Truax from SD {self.sd:g} and reliability {self.reliability:g}; "
                f"sample: {self.sample}"
            )
        if self.published_points is not None:
            level = f"{(self.published_level or 0.95) * 100:g} %"
            return f"a criterion published at the {level} level; sample: {self.sample}"
        return f"the {self.convention_name} convention, as no clinical-sample SD is sourced yet"


@dataclass(frozen=True)
class RiskItem:
    """An item whose positive answers open a risk flag, with the grade of each answer."""

    item_id: str
    grades: tuple[tuple[int, int], ...]

    def grade(self, answer: int) -> int:
        for value, grade in self.grades:
            if value == answer:
                return grade
        return 0


@dataclass(frozen=True)
class Cue:
    """A therapist-only review cue: never a crisis trigger, never shown to the client."""

    item_id: str
    answers: frozenset[int]
    text: str
    basis: str


@dataclass(frozen=True)
class Subscale:
    key: str
    label: str
    items: tuple[str, ...]
    method: ScoringMethod = "sum"
    max_missing: int = 0
    cutoff: float | None = None


@dataclass(frozen=True)
class Scoring:
    """How answers become a total.

    ``max_missing`` required scored items may be missing; with ``prorate`` the sum is
    scaled up to the full item count and, with ``round_prorated``, rounded to a whole
    number (halves up); CORE-10 keeps the decimal, as its manual's clinical score does.
    ``min_answered`` is the least number of scored items a valid score needs.
    """

    method: ScoringMethod
    multiplier: int = 1
    max_missing: int = 0
    prorate: bool = False
    min_answered: int = 1
    missing_rule: str = ""
    round_prorated: bool = True


@dataclass(frozen=True)
class Classification:
    """Keyes' categorical rule for the MHC-SF (flourishing / moderate / languishing)."""

    rule: Literal["keyes"]
    hedonic: tuple[str, ...]
    functioning: tuple[str, ...]
    high_values: frozenset[int]
    low_values: frozenset[int]
    min_hedonic: int
    min_functioning: int
    labels: tuple[str, str, str] = ("flourishing", "moderate", "languishing")


@dataclass(frozen=True)
class MinInterval:
    """How often an instrument may be given: every session, intake and reviews only,
    or at most once every ``days`` days."""

    kind: IntervalKind
    days: int | None = None

    def __str__(self) -> str:
        if self.kind == "days":
            return f"at most every {self.days} days"
        if self.kind == "intake_and_reviews":
            return "intake and reviews only"
        return "every session"


@dataclass(frozen=True)
class Instrument:
    key: str
    title: str
    short_title: str
    url: str
    version: str
    measures: str
    citation: str
    items: tuple[Item, ...]
    direction: Direction
    cutoff: float | None
    bands: tuple[Band, ...]
    rc: ReliableChangeParams | None
    risk_items: tuple[RiskItem, ...]
    cues: tuple[Cue, ...]
    scoring: Scoring
    subscales: tuple[Subscale, ...]
    classification: Classification | None
    seconds_per_item: int
    seconds_per_text: int
    min_interval: MinInterval
    licence_status: LicenceStatus
    copyright: str
    licence_basis: str
    licence_holder: str | None
    respondent: Respondent
    score_range: tuple[float, float]
    screening_only: bool = False
    validated: bool = True
    loinc_panel: str | None = None
    loinc_total: str | None = None
    licence_statement: str | None = None
    client_label: str = ""
    # The instruction shown above the items ("Over the last 2 weeks, ..."); a licensed
    # pack has none until the practice supplies it with the item text.
    stem: str | None = None
    source: str = field(default="", compare=False)

    @property
    def item_ids(self) -> tuple[str, ...]:
        """Every item id, in administration order (also the column order of score_many)."""
        return tuple(i.id for i in self.items)

    @property
    def scored_item_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.items if i.scored)

    def item(self, item_id: str) -> Item:
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(item_id)

    @property
    def has_total(self) -> bool:
        return self.scoring.method != "none"

    @property
    def estimated_seconds(self) -> int:
        """Burden estimate: seconds per item, and per free-text field."""
        return sum(
            self.seconds_per_text if i.kind == "text" else self.seconds_per_item for i in self.items
        )

    @property
    def has_text(self) -> bool:
        """True when every item that needs text has it (goal items take the client's words)."""
        return all(i.text is not None for i in self.items if i.kind != "goal")

    def require_text(self) -> tuple[Item, ...]:
        """The administrable items; raises LicenceRequired while a pack has no text."""
        if not self.has_text:
            raise LicenceRequired(self.key, self.title, self.licence_holder or "the licence holder")
        return self.items

    def clinical_range(self, total: float) -> bool:
        """True when ``total`` is at or beyond the cutoff on the worse side.

        Lower-is-better: total >= cutoff. Higher-is-better: total <= cutoff.
        """
        if self.cutoff is None:
            return False
        return total >= self.cutoff if self.direction == "lower" else total <= self.cutoff


# --- validation helpers -------------------------------------------------------------


class _Ctx:
    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, field_name: str, reason: str) -> DefinitionError:
        return DefinitionError(self.file, field_name, reason)

    def get(
        self, data: Mapping[str, Any], name: str, path: str, kind: type | tuple[type, ...]
    ) -> Any:
        if name not in data:
            raise self.fail(path, "is required")
        return self.check(data[name], path, kind)

    def opt(
        self,
        data: Mapping[str, Any],
        name: str,
        path: str,
        kind: type | tuple[type, ...],
        default: Any,
    ) -> Any:
        if name not in data:
            return default
        return self.check(data[name], path, kind)

    def check(self, value: Any, path: str, kind: type | tuple[type, ...]) -> Any:
        kinds = kind if isinstance(kind, tuple) else (kind,)
        # bool is an int in Python; a definition that says `true` where a number belongs is wrong.
        if isinstance(value, bool) and bool not in kinds:
            raise self.fail(path, f"must be {_kind_name(kinds)}, got a boolean")
        if not isinstance(value, kinds):
            raise self.fail(path, f"must be {_kind_name(kinds)}, got {type(value).__name__}")
        if isinstance(value, str) and not value.strip():
            raise self.fail(path, "must not be blank")
        return value

    def known(self, data: Mapping[str, Any], path: str, allowed: set[str]) -> None:
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise self.fail(f"{path}.{unknown[0]}", "is not a known field")

    def choice(
        self,
        data: Mapping[str, Any],
        name: str,
        path: str,
        allowed: Sequence[str],
        default: str | None = None,
    ) -> str:
        if default is not None and name not in data:
            return default
        value = cast(str, self.get(data, name, path, str))
        if value not in allowed:
            raise self.fail(path, f"must be one of {', '.join(allowed)}, got {value!r}")
        return value


def _kind_name(kinds: tuple[type, ...]) -> str:
    names = {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "true or false",
        list: "a list",
        dict: "a table",
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)


_KNOWN_TOP = {
    "key", "title", "short_title", "url", "version", "measures", "citation", "respondent",
    "licence_status", "copyright", "licence_basis", "licence_holder", "validated", "screening_only",
    "direction", "cutoff", "seconds_per_item", "seconds_per_text", "min_interval", "loinc",
    "option_sets", "items", "scoring", "subscales", "bands", "rc", "risk_items", "cues",
    "classification", "client_label", "stem",
}  # fmt: skip


def _options(ctx: _Ctx, raw: Any, path: str) -> tuple[Option, ...]:
    """An option set is either a list of {value, label} or a scale {min, max, low, high}."""
    if isinstance(raw, dict):
        lo = cast(int, ctx.get(raw, "min", f"{path}.min", int))
        hi = cast(int, ctx.get(raw, "max", f"{path}.max", int))
        low = cast(str, ctx.get(raw, "low", f"{path}.low", str))
        high = cast(str, ctx.get(raw, "high", f"{path}.high", str))
        if hi <= lo:
            raise ctx.fail(f"{path}.max", f"must be above min ({lo}), got {hi}")
        return tuple(
            Option(v, low if v == lo else high if v == hi else str(v)) for v in range(lo, hi + 1)
        )
    entries = cast(list[Any], ctx.check(raw, path, list))
    if len(entries) < 2:
        raise ctx.fail(path, "needs at least two options")
    out: list[Option] = []
    for n, entry in enumerate(entries):
        p = f"{path}[{n}]"
        entry = ctx.check(entry, p, dict)
        out.append(
            Option(
                cast(int, ctx.get(entry, "value", f"{p}.value", int)),
                cast(str, ctx.get(entry, "label", f"{p}.label", str)),
            )
        )
    values = [o.value for o in out]
    if len(set(values)) != len(values):
        raise ctx.fail(path, "option values must be unique")
    if values != sorted(values) and values != sorted(values, reverse=True):
        raise ctx.fail(path, "option values must be in ascending or descending order")
    return tuple(out)


def _item_list(
    ctx: _Ctx, data: Mapping[str, Any], option_sets: Mapping[str, tuple[Option, ...]]
) -> tuple[Item, ...]:
    raw_items = cast(list[Any], ctx.get(data, "items", "items", list))
    if not raw_items:
        raise ctx.fail("items", "must list at least one item")
    items: list[Item] = []
    seen: set[str] = set()
    for n, raw in enumerate(raw_items):
        p = f"items[{n}]"
        raw = ctx.check(raw, p, dict)
        ctx.known(
            raw, p, {"id", "kind", "text", "options", "scored", "required", "reverse", "loinc"}
        )
        item_id = cast(str, ctx.get(raw, "id", f"{p}.id", str))
        if item_id in seen:
            raise ctx.fail(f"{p}.id", f"duplicate item id {item_id!r}")
        seen.add(item_id)
        kind = cast(
            ItemKind,
            ctx.choice(raw, "kind", f"{p}.kind", ("choice", "text", "goal"), default="choice"),
        )
        text = cast("str | None", ctx.opt(raw, "text", f"{p}.text", str, None))
        options: tuple[Option, ...] = ()
        if kind != "text":
            set_name = cast(str, ctx.opt(raw, "options", f"{p}.options", str, "default"))
            if set_name not in option_sets:
                raise ctx.fail(f"{p}.options", f"names an undefined option set {set_name!r}")
            options = option_sets[set_name]
        scored = cast(bool, ctx.opt(raw, "scored", f"{p}.scored", bool, kind != "text"))
        if kind == "text" and scored:
            raise ctx.fail(f"{p}.scored", "a free-text item cannot be scored")
        items.append(
            Item(
                id=item_id,
                text=text,
                kind=kind,
                options=options,
                reverse=cast(bool, ctx.opt(raw, "reverse", f"{p}.reverse", bool, False)),
                scored=scored,
                required=cast(
                    bool, ctx.opt(raw, "required", f"{p}.required", bool, kind != "text")
                ),
                loinc=cast("str | None", ctx.opt(raw, "loinc", f"{p}.loinc", str, None)),
            )
        )
    return tuple(items)


def _item_ref(ctx: _Ctx, items: Mapping[str, Item], item_id: Any, path: str) -> str:
    item_id = ctx.check(item_id, path, str)
    if item_id not in items:
        raise ctx.fail(path, f"names an unknown item {item_id!r}")
    if not items[item_id].numeric:
        raise ctx.fail(path, f"item {item_id!r} is free text and cannot be used here")
    return cast(str, item_id)


def _score_range(scoring: Scoring, scored: Sequence[Item]) -> tuple[float, float]:
    lo = [i.min_value for i in scored]
    hi = [i.max_value for i in scored]
    if scoring.method == "sum":
        return (float(sum(lo) * scoring.multiplier), float(sum(hi) * scoring.multiplier))
    if scoring.method == "mean":
        return (float(min(lo) * scoring.multiplier), float(max(hi) * scoring.multiplier))
    return (float(min(lo)), float(max(hi)))


def parse_definition(data: Mapping[str, Any], file: str) -> Instrument:
    """Validate a parsed definition and build the Instrument; raises DefinitionError."""
    ctx = _Ctx(file)
    unknown = sorted(set(data) - _KNOWN_TOP)
    if unknown:
        raise ctx.fail(unknown[0], "is not a known field")
    key = cast(str, ctx.get(data, "key", "key", str))
    if key.lower() in NEVER_SHIP:
        raise ctx.fail("key", f"{key!r} must never be shipped")
    url = cast(str, ctx.get(data, "url", "url", str))
    if not url.startswith(("http://", "https://")) or "|" in url:
        raise ctx.fail(
            "url",
            "must be an http(s) canonical URL without a version; put the version in 'version'",
        )
    version = cast(str, ctx.get(data, "version", "version", str))

    option_sets: dict[str, tuple[Option, ...]] = {}
    raw_sets = cast(dict[str, Any], ctx.opt(data, "option_sets", "option_sets", dict, {}))
    for name, raw in raw_sets.items():
        option_sets[name] = _options(ctx, raw, f"option_sets.{name}")
    items = _item_list(ctx, data, option_sets)
    by_id = {i.id: i for i in items}
    scored = [i for i in items if i.scored]
    if not scored:
        raise ctx.fail("items", "must include at least one scored item")

    raw_scoring = cast(dict[str, Any], ctx.get(data, "scoring", "scoring", dict))
    # A key written after a [table] header silently joins that table in TOML: refuse strays.
    ctx.known(
        raw_scoring,
        "scoring",
        {
            "method",
            "multiplier",
            "max_missing",
            "prorate",
            "min_answered",
            "missing_rule",
            "round_prorated",
        },
    )
    scoring = Scoring(
        method=cast(
            ScoringMethod,
            ctx.choice(raw_scoring, "method", "scoring.method", ("sum", "mean", "none")),
        ),
        multiplier=cast(int, ctx.opt(raw_scoring, "multiplier", "scoring.multiplier", int, 1)),
        max_missing=cast(int, ctx.opt(raw_scoring, "max_missing", "scoring.max_missing", int, 0)),
        prorate=cast(bool, ctx.opt(raw_scoring, "prorate", "scoring.prorate", bool, False)),
        min_answered=cast(
            int, ctx.opt(raw_scoring, "min_answered", "scoring.min_answered", int, 1)
        ),
        missing_rule=cast(str, ctx.get(raw_scoring, "missing_rule", "scoring.missing_rule", str)),
        round_prorated=cast(
            bool, ctx.opt(raw_scoring, "round_prorated", "scoring.round_prorated", bool, True)
        ),
    )
    if scoring.multiplier < 1:
        raise ctx.fail("scoring.multiplier", "must be a positive integer")
    if not 0 <= scoring.max_missing < len(scored):
        raise ctx.fail("scoring.max_missing", f"must be between 0 and {len(scored) - 1}")
    if scoring.method == "sum" and scoring.max_missing > 0 and not scoring.prorate:
        raise ctx.fail(
            "scoring.prorate", "a summed total that allows missing items must prorate them"
        )
    if scoring.prorate and scoring.method != "sum":
        raise ctx.fail("scoring.prorate", "only a summed total can be prorated")
    if not 1 <= scoring.min_answered <= len(scored):
        raise ctx.fail("scoring.min_answered", f"must be between 1 and {len(scored)}")
    score_range = _score_range(scoring, scored)

    subscales: list[Subscale] = []
    for n, raw in enumerate(cast(list[Any], ctx.opt(data, "subscales", "subscales", list, []))):
        p = f"subscales[{n}]"
        raw = ctx.check(raw, p, dict)
        ctx.known(raw, p, {"key", "label", "items", "method", "max_missing", "cutoff"})
        refs = cast(list[Any], ctx.get(raw, "items", f"{p}.items", list))
        if not refs:
            raise ctx.fail(f"{p}.items", "must list at least one item")
        sub_items = tuple(_item_ref(ctx, by_id, r, f"{p}.items[{k}]") for k, r in enumerate(refs))
        cutoff_raw = ctx.opt(raw, "cutoff", f"{p}.cutoff", (int, float), None)
        subscales.append(
            Subscale(
                key=cast(str, ctx.get(raw, "key", f"{p}.key", str)),
                label=cast(str, ctx.get(raw, "label", f"{p}.label", str)),
                items=sub_items,
                method=cast(
                    ScoringMethod,
                    ctx.choice(raw, "method", f"{p}.method", ("sum", "mean"), default="sum"),
                ),
                max_missing=cast(int, ctx.opt(raw, "max_missing", f"{p}.max_missing", int, 0)),
                cutoff=None if cutoff_raw is None else float(cutoff_raw),
            )
        )

    direction = cast(Direction, ctx.choice(data, "direction", "direction", ("lower", "higher")))
    bands = _bands(ctx, data, score_range, direction)
    cutoff_raw = ctx.opt(data, "cutoff", "cutoff", (int, float), None)
    cutoff = None if cutoff_raw is None else float(cutoff_raw)
    if cutoff is not None and not score_range[0] <= cutoff <= score_range[1]:
        raise ctx.fail(
            "cutoff", f"{cutoff:g} is outside the score range {score_range[0]:g}-{score_range[1]:g}"
        )
    if cutoff is not None and scoring.method == "none":
        raise ctx.fail("cutoff", "an instrument without a total has no cutoff")

    rc = _rc(ctx, data)
    risk_items = _risk_items(ctx, data, by_id)
    cues = _cues(ctx, data, by_id)
    classification = _classification(ctx, data, by_id)
    min_interval = _min_interval(ctx, data)

    status = cast(
        LicenceStatus,
        ctx.choice(
            data,
            "licence_status",
            "licence_status",
            ("ship", "licensed_pack", "practice_developed"),
        ),
    )
    holder = cast("str | None", ctx.opt(data, "licence_holder", "licence_holder", str, None))
    if status == "licensed_pack":
        if holder is None:
            raise ctx.fail("licence_holder", "is required for a licensed pack")
        texted = [i.id for i in items if i.text is not None]
        if texted:
            raise ctx.fail(f"items.{texted[0]}.text", "a licensed pack must not ship item text")
    else:
        missing_text = [i.id for i in items if i.text is None and i.kind != "goal"]
        if missing_text:
            raise ctx.fail(f"items.{missing_text[0]}.text", "is required for a shipped instrument")
    stem = cast("str | None", ctx.opt(data, "stem", "stem", str, None))
    # The stem is part of the licensed wording, so it travels with the practice's item text.
    if status == "licensed_pack" and stem is not None:
        raise ctx.fail("stem", "a licensed pack must not ship its stem; the practice supplies it")
    if status != "licensed_pack" and stem is None:
        raise ctx.fail("stem", "is required for a shipped instrument")
    validated = cast(bool, ctx.opt(data, "validated", "validated", bool, True))
    if status == "practice_developed" and validated:
        raise ctx.fail(
            "validated", "a practice-developed instrument must be marked validated = false"
        )

    loinc = cast(dict[str, Any], ctx.opt(data, "loinc", "loinc", dict, {}))
    return Instrument(
        key=key,
        title=cast(str, ctx.get(data, "title", "title", str)),
        short_title=cast(str, ctx.get(data, "short_title", "short_title", str)),
        url=url,
        version=version,
        measures=cast(str, ctx.get(data, "measures", "measures", str)),
        citation=cast(str, ctx.get(data, "citation", "citation", str)),
        items=items,
        direction=direction,
        cutoff=cutoff,
        bands=bands,
        rc=rc,
        risk_items=risk_items,
        cues=cues,
        scoring=scoring,
        subscales=tuple(subscales),
        classification=classification,
        seconds_per_item=cast(
            int,
            ctx.opt(data, "seconds_per_item", "seconds_per_item", int, DEFAULT_SECONDS_PER_ITEM),
        ),
        seconds_per_text=cast(
            int,
            ctx.opt(data, "seconds_per_text", "seconds_per_text", int, DEFAULT_SECONDS_PER_TEXT),
        ),
        min_interval=min_interval,
        licence_status=status,
        copyright=cast(str, ctx.get(data, "copyright", "copyright", str)),
        licence_basis=cast(str, ctx.get(data, "licence_basis", "licence_basis", str)),
        licence_holder=holder,
        respondent=cast(
            Respondent,
            ctx.choice(data, "respondent", "respondent", ("client", "therapist", "observer")),
        ),
        score_range=score_range,
        screening_only=cast(bool, ctx.opt(data, "screening_only", "screening_only", bool, False)),
        validated=validated,
        loinc_panel=cast("str | None", ctx.opt(loinc, "panel", "loinc.panel", str, None)),
        loinc_total=cast("str | None", ctx.opt(loinc, "total", "loinc.total", str, None)),
        client_label=cast(str, ctx.get(data, "client_label", "client_label", str)),
        stem=stem,
        source=file,
    )


def _bands(
    ctx: _Ctx, data: Mapping[str, Any], score_range: tuple[float, float], direction: Direction
) -> tuple[Band, ...]:
    bands: list[Band] = []
    for n, raw in enumerate(cast(list[Any], ctx.opt(data, "bands", "bands", list, []))):
        p = f"bands[{n}]"
        raw = ctx.check(raw, p, dict)
        lo = float(ctx.get(raw, "min", f"{p}.min", (int, float)))
        hi = float(ctx.get(raw, "max", f"{p}.max", (int, float)))
        if hi < lo:
            raise ctx.fail(f"{p}.max", f"{hi:g} is below min {lo:g}")
        if bands and lo <= bands[-1].max:
            raise ctx.fail(
                f"{p}.min", f"{lo:g} overlaps or precedes the previous band (max {bands[-1].max:g})"
            )
        if bands and lo - bands[-1].max > 1:
            raise ctx.fail(
                f"{p}.min", f"leaves a gap after the previous band (max {bands[-1].max:g})"
            )
        bands.append(
            Band(
                lo,
                hi,
                cast(str, ctx.get(raw, "label", f"{p}.label", str)),
                cast(bool, ctx.opt(raw, "severe", f"{p}.severe", bool, False)),
            )
        )
    if not bands:
        return ()
    if bands[0].min != score_range[0] or bands[-1].max != score_range[1]:
        raise ctx.fail(
            "bands", f"must cover the score range {score_range[0]:g}-{score_range[1]:g} exactly"
        )
    severe = [n for n, b in enumerate(bands) if b.severe]
    worst = len(bands) - 1 if direction == "lower" else 0
    if len(severe) > 1 or (severe and severe[0] != worst):
        raise ctx.fail(
            "bands", "only the worst band (the top one when lower is better) may be marked severe"
        )
    return tuple(bands)


def _rc(ctx: _Ctx, data: Mapping[str, Any]) -> ReliableChangeParams | None:
    if "rc" not in data:
        return None
    raw = cast(dict[str, Any], ctx.check(data["rc"], "rc", dict))
    ctx.known(
        raw,
        "rc",
        {
            "sd",
            "reliability",
            "sd_source",
            "reliability_source",
            "expected_points",
            "sample",
            "clinical",
            "published_points",
            "published_level",
            "published_source",
            "convention_points",
            "convention_name",
            "convention_source",
        },
    )
    reliability = float(ctx.get(raw, "reliability", "rc.reliability", (int, float)))
    if not 0 <= reliability < 1:
        raise ctx.fail("rc.reliability", f"must be in [0, 1), got {reliability:g}")
    bases = [k for k in ("sd", "published_points", "convention_points") if k in raw]
    if len(bases) != 1:
        raise ctx.fail("rc", "needs exactly one of sd, published_points or convention_points")
    sd: float | None = None
    if "sd" in raw:
        sd = float(ctx.get(raw, "sd", "rc.sd", (int, float)))
        if sd <= 0:
            raise ctx.fail("rc.sd", f"must be positive, got {sd:g}")
    sd_source = cast(str, ctx.opt(raw, "sd_source", "rc.sd_source", str, ""))
    # RC parameters are sourced, never back-calculated from the criterion they should give.
    if sd is not None and (not sd_source or "back-calculated" in sd_source.lower()):
        raise ctx.fail(
            "rc.sd_source", "must cite the sample the SD comes from (not back-calculated)"
        )
    params = ReliableChangeParams(
        reliability=reliability,
        reliability_source=cast(
            str, ctx.get(raw, "reliability_source", "rc.reliability_source", str)
        ),
        sample=cast(str, ctx.get(raw, "sample", "rc.sample", str)),
        clinical=cast(bool, ctx.get(raw, "clinical", "rc.clinical", bool)),
        sd=sd,
        sd_source=sd_source,
        published_points=ctx.opt(raw, "published_points", "rc.published_points", int, None),
        published_level=ctx.opt(raw, "published_level", "rc.published_level", float, None),
        published_source=cast(
            str, ctx.opt(raw, "published_source", "rc.published_source", str, "")
        ),
        convention_points=ctx.opt(raw, "convention_points", "rc.convention_points", int, None),
        convention_name=cast(str, ctx.opt(raw, "convention_name", "rc.convention_name", str, "")),
        convention_source=cast(
            str, ctx.opt(raw, "convention_source", "rc.convention_source", str, "")
        ),
    )
    if params.published_points is not None and not params.published_source:
        raise ctx.fail("rc.published_source", "must cite where the criterion is published")
    if params.convention_points is not None and not (
        params.convention_source and params.convention_name
    ):
        raise ctx.fail("rc.convention_source", "must name and cite the convention")
    # The file states the RC points it expects, so a typo in SD or reliability cannot pass silently.
    expected = ctx.opt(raw, "expected_points", "rc.expected_points", int, None)
    if expected is not None and expected != params.points:
        raise ctx.fail(
            "rc.expected_points",
            f"says {expected} but the parameters give {params.points}",
        )
    return params


def _risk_items(
    ctx: _Ctx, data: Mapping[str, Any], by_id: Mapping[str, Item]
) -> tuple[RiskItem, ...]:
    out: list[RiskItem] = []
    for n, raw in enumerate(cast(list[Any], ctx.opt(data, "risk_items", "risk_items", list, []))):
        p = f"risk_items[{n}]"
        raw = ctx.check(raw, p, dict)
        item_id = _item_ref(ctx, by_id, ctx.get(raw, "item", f"{p}.item", str), f"{p}.item")
        grades_raw = cast(dict[str, Any], ctx.get(raw, "grades", f"{p}.grades", dict))
        grades: list[tuple[int, int]] = []
        for answer_text, grade in grades_raw.items():
            try:
                answer = int(answer_text)
            except ValueError:
                raise ctx.fail(
                    f"{p}.grades.{answer_text}", "answer keys must be whole numbers"
                ) from None
            if answer not in by_id[item_id].values:
                raise ctx.fail(
                    f"{p}.grades.{answer_text}", f"{answer} is not an answer option of {item_id}"
                )
            grade = ctx.check(grade, f"{p}.grades.{answer_text}", int)
            if not 1 <= grade <= 3:
                raise ctx.fail(f"{p}.grades.{answer_text}", f"grade must be 1-3, got {grade}")
            grades.append((answer, cast(int, grade)))
        if not grades:
            raise ctx.fail(f"{p}.grades", "must grade at least one answer")
        out.append(RiskItem(item_id, tuple(sorted(grades))))
    return tuple(out)


def _cues(ctx: _Ctx, data: Mapping[str, Any], by_id: Mapping[str, Item]) -> tuple[Cue, ...]:
    out: list[Cue] = []
    for n, raw in enumerate(cast(list[Any], ctx.opt(data, "cues", "cues", list, []))):
        p = f"cues[{n}]"
        raw = ctx.check(raw, p, dict)
        item_id = _item_ref(ctx, by_id, ctx.get(raw, "item", f"{p}.item", str), f"{p}.item")
        answers = [
            ctx.check(a, f"{p}.answers", int)
            for a in cast(list[Any], ctx.get(raw, "answers", f"{p}.answers", list))
        ]
        bad = [a for a in answers if a not in by_id[item_id].values]
        if not answers or bad:
            raise ctx.fail(f"{p}.answers", f"must list answer options of {item_id}")
        out.append(
            Cue(
                item_id=item_id,
                answers=frozenset(cast(list[int], answers)),
                text=cast(str, ctx.get(raw, "text", f"{p}.text", str)),
                basis=cast(str, ctx.get(raw, "basis", f"{p}.basis", str)),
            )
        )
    return tuple(out)


def _classification(
    ctx: _Ctx, data: Mapping[str, Any], by_id: Mapping[str, Item]
) -> Classification | None:
    if "classification" not in data:
        return None
    raw = cast(dict[str, Any], ctx.check(data["classification"], "classification", dict))
    ctx.choice(raw, "rule", "classification.rule", ("keyes",))
    hedonic = tuple(
        _item_ref(ctx, by_id, r, f"classification.hedonic[{k}]")
        for k, r in enumerate(ctx.get(raw, "hedonic", "classification.hedonic", list))
    )
    functioning = tuple(
        _item_ref(ctx, by_id, r, f"classification.functioning[{k}]")
        for k, r in enumerate(ctx.get(raw, "functioning", "classification.functioning", list))
    )
    high = frozenset(
        cast(list[int], ctx.get(raw, "high_values", "classification.high_values", list))
    )
    low = frozenset(cast(list[int], ctx.get(raw, "low_values", "classification.low_values", list)))
    if high & low:
        raise ctx.fail("classification.low_values", "must not overlap high_values")
    min_h = cast(int, ctx.get(raw, "min_hedonic", "classification.min_hedonic", int))
    min_f = cast(int, ctx.get(raw, "min_functioning", "classification.min_functioning", int))
    if not 1 <= min_h <= len(hedonic):
        raise ctx.fail("classification.min_hedonic", f"must be between 1 and {len(hedonic)}")
    if not 1 <= min_f <= len(functioning):
        raise ctx.fail(
            "classification.min_functioning", f"must be between 1 and {len(functioning)}"
        )
    return Classification("keyes", hedonic, functioning, high, low, min_h, min_f)


def _min_interval(ctx: _Ctx, data: Mapping[str, Any]) -> MinInterval:
    raw = cast(dict[str, Any], ctx.get(data, "min_interval", "min_interval", dict))
    kind = cast(
        IntervalKind,
        ctx.choice(
            raw, "kind", "min_interval.kind", ("every_session", "intake_and_reviews", "days")
        ),
    )
    days = cast("int | None", ctx.opt(raw, "days", "min_interval.days", int, None))
    if kind == "days" and (days is None or days < 1):
        raise ctx.fail("min_interval.days", "must be a positive number of days when kind is 'days'")
    if kind != "days" and days is not None:
        raise ctx.fail("min_interval.days", f"only applies when kind is 'days', not {kind!r}")
    return MinInterval(kind, days)


# --- loading ------------------------------------------------------------------------

_PACKAGE = "plusone.core.definitions"


def load_definition_file(path: Path | str) -> Instrument:
    """Load and validate one definition file from anywhere on disk."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(path.name, "(file)", f"is not valid TOML: {exc}") from None
    except OSError as exc:
        raise DefinitionError(path.name, "(file)", f"cannot be read: {exc.strerror}") from None
    inst = parse_definition(data, path.name)
    if inst.key != path.stem:
        raise DefinitionError(
            path.name, "key", f"{inst.key!r} does not match the file name {path.stem!r}"
        )
    return inst


def definition_keys() -> tuple[str, ...]:
    """The keys of every shipped definition, sorted."""
    root = resources.files(_PACKAGE)
    # A translation, "<key>.<language>.toml", is not a definition (plusone.core.translations).
    return tuple(
        sorted(
            p.name[:-5]
            for p in root.iterdir()
            if p.name.endswith(".toml") and "." not in p.name[:-5]
        )
    )


@functools.cache
def _load_shipped(key: str) -> Instrument:
    if key not in definition_keys():
        raise KeyError(f"no instrument {key!r}; known: {', '.join(definition_keys())}")
    resource = resources.files(_PACKAGE).joinpath(f"{key}.toml")
    try:
        data = tomllib.loads(resource.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(f"{key}.toml", "(file)", f"is not valid TOML: {exc}") from None
    inst = parse_definition(data, f"{key}.toml")
    if inst.key != key:
        raise DefinitionError(
            f"{key}.toml", "key", f"{inst.key!r} does not match the file name {key!r}"
        )
    return inst


def load_instrument(key: str, *, licensed_text: Path | None = None) -> Instrument:
    """The validated definition for ``key`` (cached).

    With ``licensed_text``, a licensed pack gets the item text the practice supplied.
    That file holds ``instrument = "<key>"``, ``licence = "<the licence statement>"``,
    optionally ``stem = "<the instruction shown above the items>"``, and an ``[items]``
    table of item id -> text covering every item.
    """
    inst = _load_shipped(key)
    if licensed_text is None:
        return inst
    return apply_licensed_text(inst, licensed_text)


def apply_licensed_text(inst: Instrument, path: Path) -> Instrument:
    """Return ``inst`` with item text from a practice's licensed-text file."""
    ctx = _Ctx(Path(path).name)
    if inst.licence_status != "licensed_pack":
        raise ctx.fail(
            "instrument", f"{inst.key} is not a licensed pack; its text ships with PlusOne"
        )
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ctx.fail("(file)", f"is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ctx.fail("(file)", f"cannot be read: {exc.strerror}") from None
    named = cast(str, ctx.get(data, "instrument", "instrument", str))
    if named != inst.key:
        raise ctx.fail("instrument", f"is {named!r}, expected {inst.key!r}")
    statement = cast(str, ctx.get(data, "licence", "licence", str))
    stem = cast("str | None", ctx.opt(data, "stem", "stem", str, None))
    texts = cast(dict[str, Any], ctx.get(data, "items", "items", dict))
    unknown = sorted(set(texts) - set(inst.item_ids))
    if unknown:
        raise ctx.fail(f"items.{unknown[0]}", f"is not an item of {inst.key}")
    needed = [i.id for i in inst.items if i.kind != "goal"]
    missing = [i for i in needed if i not in texts]
    if missing:
        raise ctx.fail(f"items.{missing[0]}", "is required: supply text for every item")
    items = tuple(
        replace(i, text=cast(str, ctx.check(texts[i.id], f"items.{i.id}", str)))
        if i.id in texts
        else i
        for i in inst.items
    )
    return replace(inst, items=items, licence_statement=statement, stem=stem)


def all_instruments() -> dict[str, Instrument]:
    """Every shipped definition, by key."""
    return {key: _load_shipped(key) for key in definition_keys()}


def rc_points_for(inst: Instrument) -> int | None:
    """RC points of an instrument, or None when it has no sourced RC parameters."""
    return None if inst.rc is None else inst.rc.points


__all__ = [
    "NEVER_SHIP",
    "Band",
    "Classification",
    "Cue",
    "DefinitionError",
    "Instrument",
    "Item",
    "LicenceRequired",
    "MinInterval",
    "Option",
    "ReliableChangeParams",
    "RiskItem",
    "Scoring",
    "Subscale",
    "all_instruments",
    "apply_licensed_text",
    "definition_keys",
    "load_definition_file",
    "load_instrument",
    "parse_definition",
    "rc_points_for",
]
