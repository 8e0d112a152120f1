"""Licensed packs, with the text a practice has supplied.

PlusOne ships a licensed pack's structure and scoring but not its words. A
practice that holds the licence puts the text in
``PLUSONE_DATA_DIR/licensed/<practice uuid>/<key>.toml`` (the format of
``plusone.core.instruments.apply_licensed_text``; docs/configuration.md). With
the file there, the check-in administers the pack; without it, a measurement
plan that names the pack is refused with :class:`PracticeLicenceRequired`,
which names the licence holder.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings

from plusone.core.instruments import (
    Instrument,
    LicenceRequired,
    apply_licensed_text,
    definition_keys,
    load_instrument,
)

LICENSED_DIR = "licensed"
log = logging.getLogger(__name__)


class PracticeLicenceRequired(LicenceRequired):
    """A licensed pack whose text this practice has not supplied: names the holder and
    where the practice's file goes."""

    def __init__(self, inst: Instrument) -> None:
        super().__init__(inst.key, inst.title, inst.licence_holder or "the licence holder")
        self.args = (
            f"{inst.short_title} is a licensed instrument and your practice has not supplied "
            f"its text. Obtain a licence from {self.holder}, then put the text in "
            f"PLUSONE_DATA_DIR/{LICENSED_DIR}/<practice id>/{inst.key}.toml "
            "(see docs/configuration.md).",
        )


def text_path(practice_id: Any, key: str) -> Path | None:
    """The practice's licensed-text file for ``key``, or None when there is none.

    Only known instrument keys and a real practice UUID make a path, so a plan's
    key can never reach outside the practice's directory.
    """
    if key not in definition_keys():
        return None
    try:
        practice = uuid.UUID(str(practice_id))
    except ValueError:
        return None
    path = Path(settings.DATA_DIR) / LICENSED_DIR / str(practice) / f"{key}.toml"
    return path if path.is_file() else None


@functools.lru_cache(maxsize=256)
def _with_text(key: str, path: str, mtime_ns: int) -> Instrument:
    # mtime_ns is part of the cache key: a replaced file is read again.
    return apply_licensed_text(load_instrument(key), Path(path))


def instrument_for(practice_id: Any, key: str) -> Instrument:
    """The definition of ``key`` as this practice administers it: a licensed pack gets the
    practice's text when its file exists. Raises KeyError for an unknown key and
    DefinitionError for a malformed practice file."""
    inst = load_instrument(key)
    if inst.licence_status != "licensed_pack":
        return inst
    path = text_path(practice_id, key)
    if path is None:
        return inst
    return _with_text(key, str(path), path.stat().st_mtime_ns)


def require_text(practice_id: Any, keys: Iterable[str]) -> None:
    """Raise PracticeLicenceRequired for the first licensed pack in ``keys`` whose text the
    practice has not supplied. Unknown keys are left to the plan check."""
    for problem in missing_text(practice_id, keys):
        raise problem


def missing_text(practice_id: Any, keys: Iterable[str]) -> list[PracticeLicenceRequired]:
    """One PracticeLicenceRequired per licensed pack in ``keys`` without the practice's text."""
    out = []
    for key in dict.fromkeys(keys):
        try:
            inst = instrument_for(practice_id, key)
        except KeyError:
            continue
        except ValueError:
            # A malformed practice file (DefinitionError) counts as no text; its message is logged.
            log.warning("licensed text for %s cannot be used", key, exc_info=True)
            inst = load_instrument(key)
        if not inst.has_text:
            out.append(PracticeLicenceRequired(inst))
    return out


def schedule_keys(schedule: Mapping[str, Sequence[str]]) -> list[str]:
    """Every instrument a plan names, across its slots, in order."""
    return list(dict.fromkeys(k for keys in schedule.values() for k in keys))


def plan_problems(practice_id: Any, schedule: Mapping[str, Sequence[str]]) -> list[str]:
    """Messages for the plan editor: one per licensed pack the practice cannot administer."""
    return [str(p) for p in missing_text(practice_id, schedule_keys(schedule))]
