"""Find every row that belongs to one client, by introspection, and delete them in order.

The walk starts at the Client row and follows every reverse foreign key (and
one-to-one) of every installed model, so a model added later is found without a
change here. Rows are deleted children first: a model goes only after every
model that points at it, so PROTECT foreign keys never block. A self-reference
(a decision that reverses another, a token that replaced another) is
deleted before the row it names.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import models

from plusone.clinical.models import Client

# Models whose rows name the client only to record that it was destroyed.
KEEP = frozenset({"custodian.destructioncertificate", "audit.auditevent"})
# Rows that name a doomed row by id in a plain column, not a foreign key:
# (model label, column, label of the model whose pk it holds, as text).
LOOSE_REFERENCES = (
    ("measures.checkindraft", "token_id", "tokens.accesstoken"),
    ("notify.delivery", "target", "clinical.flag"),
)


def _reverse_fks(model: type[models.Model]) -> list[models.ForeignKey[Any, Any]]:
    """Concrete foreign keys (and one-to-ones) of any model that point at ``model``.

    Hidden relations (``related_name="+"``) count too: most models here use them.
    """
    found = []
    for rel in model._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete) or rel.many_to_many:
            continue
        field = getattr(rel, "field", None)
        if not isinstance(field, models.ForeignKey):
            continue
        owner = field.model._meta
        if owner.label_lower not in KEEP and not owner.proxy:
            found.append(field)
    return found


def collect(client: Client) -> dict[type[models.Model], set[Any]]:
    """Every row that references ``client``, directly or through another such row."""
    doomed: dict[type[models.Model], set[Any]] = defaultdict(set)
    doomed[Client].add(client.pk)
    queue: list[tuple[type[models.Model], set[Any]]] = [(Client, {client.pk})]
    while queue:
        model, pks = queue.pop()
        for field in _reverse_fks(model):
            child = field.model
            manager = child._base_manager
            found = set(manager.filter(**{f"{field.name}__in": pks}).values_list("pk", flat=True))
            new = found - doomed[child]
            if new:
                doomed[child] |= new
                queue.append((child, new))
    _collect_loose(doomed)
    return {model: pks for model, pks in doomed.items() if pks}


def _collect_loose(doomed: dict[type[models.Model], set[Any]]) -> None:
    from django.apps import apps

    by_label = {m._meta.label_lower: m for m in doomed}
    for label, column, target in LOOSE_REFERENCES:
        if target not in by_label:
            continue
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        ids = [str(pk) for pk in doomed[by_label[target]]]
        found = set(
            model._base_manager.filter(**{f"{column}__in": ids}).values_list("pk", flat=True)
        )
        if found:
            doomed.setdefault(model, set()).update(found)


def _order(models_: list[type[models.Model]]) -> list[type[models.Model]]:
    """Referencing models before the models they reference (a topological order)."""
    inside = set(models_)
    points_to: dict[type[models.Model], set[type[models.Model]]] = {
        m: {
            f.related_model
            for f in m._meta.concrete_fields
            if f.is_relation and f.related_model in inside and f.related_model is not m
        }
        for m in models_
    }
    referenced_by = {m: {o for o in models_ if m in points_to[o]} for m in models_}
    ordered: list[type[models.Model]] = []
    remaining = set(models_)
    while remaining:
        ready = sorted(
            (m for m in remaining if not (referenced_by[m] & remaining)),
            key=lambda m: m._meta.label_lower,
        )
        if not ready:
            names = ", ".join(sorted(m._meta.label for m in remaining))
            raise RuntimeError(f"Foreign keys form a cycle among {names}; cannot order the delete.")
        ordered.extend(ready)
        remaining -= set(ready)
    return ordered


def destroy(doomed: dict[type[models.Model], set[Any]]) -> dict[str, int]:
    """Delete the collected rows children first; return rows deleted per model label.

    Call inside ``transaction.atomic``. Queryset deletes bypass model ``delete()``
    overrides (a signed note refuses a single delete; destruction is the one
    sanctioned exception).
    """
    counts: dict[str, int] = {}
    for model in _order(list(doomed)):
        pks = set(doomed[model])
        counts[model._meta.label] = len(pks)
        manager = model._base_manager
        selfish = [
            f.attname
            for f in model._meta.concrete_fields
            if f.is_relation and f.related_model is model
        ]
        # Rows that point at other doomed rows of the same model (a reversal, a repair,
        # a replaced token) go first: delete the rows nobody remaining points at, repeat.
        while pks:
            pointed_at: set[Any] = set()
            for attname in selfish:
                pointed_at |= set(
                    manager.filter(pk__in=pks)
                    .exclude(**{f"{attname}__isnull": True})
                    .values_list(attname, flat=True)
                )
            leaves = pks - pointed_at
            if not leaves:
                raise RuntimeError(f"{model._meta.label} rows reference each other in a cycle.")
            manager.filter(pk__in=leaves).delete()
            pks -= leaves
    return counts
