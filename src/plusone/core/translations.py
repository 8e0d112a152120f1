"""Instrument translations are data: one TOML file per instrument and language.

A translation sits beside the English definition as ``<key>.<language>.toml`` (for
example ``phq9.fr.toml``). It holds only words: the title, the client label, the
stem, the item texts keyed by the English file's stable item ids, and the option
labels keyed by option set and value. Scoring, bands, risk items and every number
stay in the English file, so both languages form one series and score the same.

Item text never goes through gettext (DESIGN.md, "Instruments are data"). A file
says where its wording comes from:

- ``status = "validated"``: a published, validated translation, with its ``source``
  and ``citation``. Where the exact published wording has not yet been checked
  against the source document, ``verify_against`` names that document, and the
  translation is not offered to clients (:attr:`Translation.offered`) until someone
  checks it and removes the field.
- ``status = "practice_translated"``: PlusOne's own items, translated by us:
  "practice-developed, translated, not validated". Only a practice-developed
  instrument may have one.

:func:`parse_translation` refuses a file whose item or option ids do not match the
English definition, naming the file, the field and the reason.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any, Literal, cast

from plusone.core.instruments import DefinitionError, Instrument, Option, _Ctx, load_instrument

TranslationStatus = Literal["validated", "practice_translated"]
LANGUAGES = ("fr",)
PRACTICE_TRANSLATED_NOTE = "practice-developed, translated, not validated"

_PACKAGE = "plusone.core.definitions"
_KNOWN = {
    "instrument", "language", "status", "source", "citation", "verify_against", "title",
    "client_label", "stem", "options", "items",
}  # fmt: skip


@dataclass(frozen=True)
class Translation:
    """The words of one instrument in one language, with where they come from."""

    instrument: str
    language: str
    status: TranslationStatus
    source: str
    citation: str
    title: str
    client_label: str
    stem: str
    items: Mapping[str, str]
    # option set name -> value -> label
    options: Mapping[str, Mapping[int, str]]
    verify_against: str = ""

    @property
    def offered(self) -> bool:
        """True when clients may be given this translation: ours, or a validated one whose
        wording has been checked against its published source."""
        return self.status == "practice_translated" or not self.verify_against

    @property
    def note(self) -> str:
        """What the instrument docs say about this translation's standing."""
        if self.status == "practice_translated":
            return PRACTICE_TRANSLATED_NOTE
        if self.verify_against:
            return "validated translation; its wording not yet checked against the published source"
        return "validated translation"


def _sets_of(inst: Instrument) -> dict[str, tuple[Option, ...]]:
    """The option sets the items use, by the name the definition file gives them.

    The Instrument keeps options on each item, not the set names, so the names are
    read from the shipped definition file itself.
    """
    raw = tomllib.loads(
        resources.files(_PACKAGE).joinpath(f"{inst.key}.toml").read_text(encoding="utf-8")
    )
    names = {str(i["id"]): str(i.get("options", "default")) for i in raw["items"]}
    out: dict[str, tuple[Option, ...]] = {}
    for item in inst.items:
        if item.kind != "text":
            out.setdefault(names[item.id], item.options)
    return out


def _worded(option: Option) -> bool:
    """A scale's middle points are shown as numbers; only worded labels are translated."""
    return option.label != str(option.value)


def parse_translation(data: Mapping[str, Any], file: str, english: Instrument) -> Translation:
    """Validate a parsed translation against its English definition; raises DefinitionError."""
    ctx = _Ctx(file)
    ctx.known(data, "(file)", _KNOWN)
    named = cast(str, ctx.get(data, "instrument", "instrument", str))
    if named != english.key:
        raise ctx.fail("instrument", f"is {named!r}, expected {english.key!r}")
    language = ctx.choice(data, "language", "language", LANGUAGES)
    status = cast(
        TranslationStatus,
        ctx.choice(data, "status", "status", ("validated", "practice_translated")),
    )
    if status == "practice_translated" and english.licence_status != "practice_developed":
        raise ctx.fail(
            "status",
            "only PlusOne's own instruments may ship a translation of ours; "
            "a published instrument needs its validated translation",
        )
    if status == "validated" and english.licence_status == "practice_developed":
        raise ctx.fail("status", "a practice-developed instrument has no validated translation")
    if english.licence_status == "licensed_pack":
        raise ctx.fail("instrument", f"{english.key} is a licensed pack; PlusOne ships no text")
    texts = cast(dict[str, Any], ctx.get(data, "items", "items", dict))
    worded = [i.id for i in english.items if i.kind != "goal"]
    unknown = sorted(set(texts) - set(worded))
    if unknown:
        raise ctx.fail(f"items.{unknown[0]}", f"is not an item of {english.key}")
    missing = [i for i in worded if i not in texts]
    if missing:
        raise ctx.fail(f"items.{missing[0]}", "is required: every item needs its text")
    items = {k: cast(str, ctx.check(v, f"items.{k}", str)) for k, v in texts.items()}

    sets = _sets_of(english)
    raw_options = cast(dict[str, Any], ctx.opt(data, "options", "options", dict, {}))
    unknown = sorted(set(raw_options) - set(sets))
    if unknown:
        raise ctx.fail(f"options.{unknown[0]}", f"is not an option set of {english.key}")
    options: dict[str, dict[int, str]] = {}
    for name, english_options in sets.items():
        needed = {o.value for o in english_options if _worded(o)}
        if not needed:
            continue
        given = cast(dict[str, Any], ctx.get(raw_options, name, f"options.{name}", dict))
        labels: dict[int, str] = {}
        for value_text, label in given.items():
            path = f"options.{name}.{value_text}"
            try:
                value = int(value_text)
            except ValueError:
                raise ctx.fail(path, "option keys must be the English option values") from None
            if value not in needed:
                raise ctx.fail(path, f"{value} is not a worded option of set {name!r}")
            labels[value] = cast(str, ctx.check(label, path, str))
        absent = sorted(needed - set(labels))
        if absent:
            raise ctx.fail(
                f"options.{name}.{absent[0]}", "is required: every option needs its label"
            )
        options[name] = labels

    source = cast(str, ctx.get(data, "source", "source", str))
    citation = cast(str, ctx.get(data, "citation", "citation", str))
    return Translation(
        instrument=english.key,
        language=language,
        status=status,
        source=source,
        citation=citation,
        title=cast(str, ctx.get(data, "title", "title", str)),
        client_label=cast(str, ctx.get(data, "client_label", "client_label", str)),
        stem=cast(str, ctx.get(data, "stem", "stem", str)),
        items=items,
        options=options,
        verify_against=cast(str, ctx.opt(data, "verify_against", "verify_against", str, "")),
    )


def translation_files() -> tuple[tuple[str, str], ...]:
    """(instrument key, language) of every shipped translation, sorted."""
    root = resources.files(_PACKAGE)
    found = []
    for path in root.iterdir():
        parts = path.name.split(".")
        if len(parts) == 3 and parts[2] == "toml":
            found.append((parts[0], parts[1]))
    return tuple(sorted(found))


@functools.cache
def load_translation(key: str, language: str) -> Translation | None:
    """The shipped translation of ``key`` into ``language``, validated; None when none ships."""
    if (key, language) not in translation_files():
        return None
    name = f"{key}.{language}.toml"
    try:
        data = tomllib.loads(resources.files(_PACKAGE).joinpath(name).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(name, "(file)", f"is not valid TOML: {exc}") from None
    tr = parse_translation(data, name, load_instrument(key))
    if tr.language != language:
        raise DefinitionError(name, "language", f"{tr.language!r} does not match the file name")
    return tr


def localize(inst: Instrument, tr: Translation) -> Instrument:
    """``inst`` with the words of ``tr``: same ids, values and scoring, other words."""
    sets = _sets_of(inst)
    by_options = {options: name for name, options in sets.items()}

    def words(options: tuple[Option, ...]) -> tuple[Option, ...]:
        labels = tr.options.get(by_options.get(options, ""), {})
        return tuple(Option(o.value, labels.get(o.value, o.label)) for o in options)

    items = tuple(
        replace(i, text=tr.items.get(i.id, i.text), options=words(i.options)) for i in inst.items
    )
    return replace(inst, items=items, stem=tr.stem, client_label=tr.client_label)


def offered_translation(key: str, language: str) -> Translation | None:
    """The translation clients may be given in ``language``, or None (English only)."""
    if language == "en":
        return None
    tr = load_translation(key, language)
    return tr if tr is not None and tr.offered else None


__all__ = [
    "LANGUAGES",
    "PRACTICE_TRANSLATED_NOTE",
    "Translation",
    "load_translation",
    "localize",
    "offered_translation",
    "parse_translation",
    "translation_files",
]
