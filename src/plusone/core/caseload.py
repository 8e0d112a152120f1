"""A whole caseload as columnar tables: what ``plusone.core.batch`` reads.

``caseload_from_histories`` packs ``ClientHistory`` objects into a
``Caseload`` and ``histories_of`` unpacks them again; ``plusone analyze``
builds a ``Caseload`` straight from a CSV export.

One module on purpose, though over 400 lines: the tables, their packing and their
unpacking are one format, and a column added to one is added to all three, here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt

from plusone.core.alerts import REFLECTION_ITEMS
from plusone.core.history import PHASES, ClientHistory
from plusone.core.propose import KINDS

F = npt.NDArray[np.float64]
I = npt.NDArray[np.int64]  # noqa: E741
B = npt.NDArray[np.bool_]

KIND_CODE: dict[str, int] = {k: i for i, k in enumerate(KINDS)}
PHASE_CODE: dict[str, int] = {p: i for i, p in enumerate(PHASES)}
NO_PHASE = -1
# A day number far in the future: "never" for acknowledgements and review dates.
NEVER = 10**9
# The item columns of a reflection row; the therapist's rating pairs with them item by item.
ITEMS = len(REFLECTION_ITEMS)


def _i(values: Sequence[int] | I) -> I:
    return np.asarray(values, dtype=np.int64)


def _f(values: Sequence[float] | F) -> F:
    return np.asarray(values, dtype=np.float64)


def _b(values: Sequence[bool] | B) -> B:
    return np.asarray(values, dtype=np.bool_)


def _empty_i() -> I:
    return np.zeros(0, dtype=np.int64)


def _empty_b() -> B:
    return np.zeros(0, dtype=np.bool_)


@dataclass
class Caseload:
    """Columnar tables for many clients; every ``*_client`` column indexes ``clients``.

    Days are date ordinals. Missing numbers are NaN. Row order within a
    client and day is the order of entry ("the last counts" on ties).
    """

    clients: list[str]
    primary: list[str]
    prior_therapy: B
    instruments: list[str]
    # Administrations of every scored instrument.
    adm_client: I
    adm_day: I
    adm_instrument: I
    adm_total: F
    adm_valid: B
    adm_risk: I
    adm_flourishing: B
    # Goal ratings (goal codes are per caseload; inactive goals already removed).
    goal_client: I
    goal_day: I
    goal_id: I
    goal_version: I
    goal_rating: F
    # Felt Change ("holds" and "my life feels stuck").
    felt_client: I
    felt_day: I
    felt_holds: F
    felt_stuck: F
    # Session Reflections: the rated items (NaN = not answered) and the free-text line used.
    refl_client: I
    refl_day: I
    refl_items: F  # shape (rows, ITEMS)
    refl_text: B
    # Attended sessions.
    sess_client: I
    sess_day: I
    # Decisions: phase code (-1 none), no_change flag, review day (-1 default), proposal (-1 any).
    dec_client: I
    dec_day: I
    dec_phase: I
    dec_no_change: B
    dec_review: I
    dec_proposal: I
    # Risk flags.
    flag_client: I
    flag_opened: I
    flag_ack: I
    flag_grade: I
    flag_instrument: I
    flag_item: list[str]
    # Goal ids by goal code (``g<code>`` when absent).
    goal_names: list[str] = field(default_factory=list)
    # Decisions awaiting the client's confirmation, and the day it was given (-1 none).
    # Left empty, every decision is confirmed (an export has no confirmations).
    dec_awaiting: B = field(default_factory=_empty_b)
    dec_confirmed: I = field(default_factory=_empty_i)
    # The therapist's rating of each session, item by item (NaN = not rated).
    tr_client: I = field(default_factory=_empty_i)
    tr_day: I = field(default_factory=_empty_i)
    tr_items: F = field(default_factory=lambda: np.zeros((0, ITEMS), dtype=np.float64))
    # Logged ruptures and repairs (``rl_repair`` True for a repair).
    rl_client: I = field(default_factory=_empty_i)
    rl_day: I = field(default_factory=_empty_i)
    rl_repair: B = field(default_factory=_empty_b)

    def __post_init__(self) -> None:
        n = len(self.dec_client)
        if len(self.dec_awaiting) != n:
            self.dec_awaiting = np.zeros(n, dtype=np.bool_)
        if len(self.dec_confirmed) != n:
            self.dec_confirmed = np.full(n, -1, dtype=np.int64)

    @property
    def n_clients(self) -> int:
        return len(self.clients)


def caseload_from_histories(histories: Sequence[ClientHistory]) -> Caseload:
    """Pack ClientHistory objects into a Caseload (the property tests and benchmarks use it)."""
    inst: dict[str, int] = {}
    goal_codes: dict[str, int] = {}

    def code(key: str) -> int:
        return inst.setdefault(key, len(inst))

    cols: dict[str, list[float] | list[int] | list[bool]] = {}

    def add(name: str, value: float | int | bool) -> None:
        cols.setdefault(name, []).append(value)  # type: ignore[arg-type]

    flag_item: list[str] = []
    refl_items: list[list[float]] = []
    tr_items: list[list[float]] = []
    for c, h in enumerate(histories):
        code(h.primary)
        for a in h.administrations:
            add("adm_client", c)
            add("adm_day", a.completed.toordinal())
            add("adm_instrument", code(a.instrument))
            add("adm_total", np.nan if a.total is None else float(a.total))
            add("adm_valid", bool(a.valid and a.total is not None))
            add("adm_risk", a.risk_grade)
            add("adm_flourishing", (a.band or "").lower() == "flourishing")
        for g in h.goals:
            if g.goal_id in h.inactive_goals:
                continue
            add("goal_client", c)
            add("goal_day", g.completed.toordinal())
            add("goal_id", goal_codes.setdefault(g.goal_id, len(goal_codes)))
            add("goal_version", g.version)
            add("goal_rating", float(g.rating))
        for f in h.felt_change:
            add("felt_client", c)
            add("felt_day", f.completed.toordinal())
            add("felt_holds", np.nan if f.holds is None else float(f.holds))
            add("felt_stuck", np.nan if f.stuck is None else float(f.stuck))
        for r in h.reflections:
            items = [np.nan if x is None else float(x) for x in r.items][:ITEMS]
            refl_items.append(items + [np.nan] * (ITEMS - len(items)))
            add("refl_client", c)
            add("refl_day", r.completed.toordinal())
            add("refl_text", bool(r.free_text))
        for t in h.therapist_ratings:
            items = [np.nan if x is None else float(x) for x in t.items][:ITEMS]
            tr_items.append(items + [np.nan] * (ITEMS - len(items)))
            add("tr_client", c)
            add("tr_day", t.completed.toordinal())
        for lg in h.ruptures:
            add("rl_client", c)
            add("rl_day", lg.date.toordinal())
            add("rl_repair", lg.kind == "repair")
        for d in h.sessions:
            add("sess_client", c)
            add("sess_day", d.toordinal())
        for dec in h.decisions:
            add("dec_client", c)
            add("dec_day", dec.date.toordinal())
            add("dec_phase", NO_PHASE if dec.phase is None else PHASE_CODE[dec.phase])
            add("dec_no_change", dec.kind == "no_change")
            add("dec_review", -1 if dec.review_date is None else dec.review_date.toordinal())
            add("dec_proposal", -1 if dec.proposal is None else KIND_CODE[dec.proposal])
            add("dec_awaiting", dec.awaiting)
            add("dec_confirmed", -1 if dec.confirmed_on is None else dec.confirmed_on.toordinal())
        for fl in h.risk_flags:
            add("flag_client", c)
            add("flag_opened", fl.opened.toordinal())
            add("flag_ack", NEVER if fl.acknowledged is None else fl.acknowledged.toordinal())
            add("flag_grade", fl.grade)
            add("flag_instrument", code(fl.instrument))
            flag_item.append(fl.item_id)

    def arr(name: str, kind: str) -> npt.NDArray[np.generic]:
        values = cols.get(name, [])
        dtype = {"i": np.int64, "f": np.float64, "b": np.bool_}[kind]
        return np.asarray(values, dtype=dtype)

    return Caseload(
        clients=[h.client or str(i) for i, h in enumerate(histories)],
        primary=[h.primary for h in histories],
        prior_therapy=_b([h.prior_therapy for h in histories]),
        instruments=list(inst),
        adm_client=arr("adm_client", "i"),  # type: ignore[arg-type]
        adm_day=arr("adm_day", "i"),  # type: ignore[arg-type]
        adm_instrument=arr("adm_instrument", "i"),  # type: ignore[arg-type]
        adm_total=arr("adm_total", "f"),  # type: ignore[arg-type]
        adm_valid=arr("adm_valid", "b"),  # type: ignore[arg-type]
        adm_risk=arr("adm_risk", "i"),  # type: ignore[arg-type]
        adm_flourishing=arr("adm_flourishing", "b"),  # type: ignore[arg-type]
        goal_client=arr("goal_client", "i"),  # type: ignore[arg-type]
        goal_day=arr("goal_day", "i"),  # type: ignore[arg-type]
        goal_id=arr("goal_id", "i"),  # type: ignore[arg-type]
        goal_version=arr("goal_version", "i"),  # type: ignore[arg-type]
        goal_rating=arr("goal_rating", "f"),  # type: ignore[arg-type]
        felt_client=arr("felt_client", "i"),  # type: ignore[arg-type]
        felt_day=arr("felt_day", "i"),  # type: ignore[arg-type]
        felt_holds=arr("felt_holds", "f"),  # type: ignore[arg-type]
        felt_stuck=arr("felt_stuck", "f"),  # type: ignore[arg-type]
        refl_client=arr("refl_client", "i"),  # type: ignore[arg-type]
        refl_day=arr("refl_day", "i"),  # type: ignore[arg-type]
        refl_items=np.asarray(refl_items, dtype=np.float64).reshape(-1, ITEMS),
        refl_text=arr("refl_text", "b"),  # type: ignore[arg-type]
        sess_client=arr("sess_client", "i"),  # type: ignore[arg-type]
        sess_day=arr("sess_day", "i"),  # type: ignore[arg-type]
        dec_client=arr("dec_client", "i"),  # type: ignore[arg-type]
        dec_day=arr("dec_day", "i"),  # type: ignore[arg-type]
        dec_phase=arr("dec_phase", "i"),  # type: ignore[arg-type]
        dec_no_change=arr("dec_no_change", "b"),  # type: ignore[arg-type]
        dec_review=arr("dec_review", "i"),  # type: ignore[arg-type]
        dec_proposal=arr("dec_proposal", "i"),  # type: ignore[arg-type]
        flag_client=arr("flag_client", "i"),  # type: ignore[arg-type]
        flag_opened=arr("flag_opened", "i"),  # type: ignore[arg-type]
        flag_ack=arr("flag_ack", "i"),  # type: ignore[arg-type]
        flag_grade=arr("flag_grade", "i"),  # type: ignore[arg-type]
        flag_instrument=arr("flag_instrument", "i"),  # type: ignore[arg-type]
        flag_item=flag_item,
        goal_names=list(goal_codes),
        dec_awaiting=arr("dec_awaiting", "b"),  # type: ignore[arg-type]
        dec_confirmed=arr("dec_confirmed", "i"),  # type: ignore[arg-type]
        tr_client=arr("tr_client", "i"),  # type: ignore[arg-type]
        tr_day=arr("tr_day", "i"),  # type: ignore[arg-type]
        tr_items=np.asarray(tr_items, dtype=np.float64).reshape(-1, ITEMS),
        rl_client=arr("rl_client", "i"),  # type: ignore[arg-type]
        rl_day=arr("rl_day", "i"),  # type: ignore[arg-type]
        rl_repair=arr("rl_repair", "b"),  # type: ignore[arg-type]
    )


def histories_of(cl: Caseload, clients: Sequence[int] | None = None) -> list[ClientHistory]:
    """Unpack a Caseload into one ClientHistory per client (the inverse of caseload_from_histories).

    ``clients`` limits the result to these client codes (a range, or any
    ascending codes). Goal ids come back as the caseload's goal names
    (``g<code>`` when absent); goal labels and decisions' written reasons are
    not kept in a Caseload.
    """
    from plusone.core.history import (
        Administration,
        Decision,
        FeltChange,
        GoalRating,
        Reflection,
        RiskFlag,
        RuptureLog,
        TherapistRating,
    )

    span = clients if clients is not None else range(cl.n_clients)
    codes = np.asarray(span, dtype=np.int64)
    wanted = np.zeros(cl.n_clients + 1, dtype=np.bool_)
    wanted[codes] = True

    def rows(client: I) -> tuple[I, I]:
        """Row indices of the wanted clients, grouped by client (stable), and group bounds."""
        sel = np.flatnonzero(wanted[client])
        sel = sel[np.argsort(client[sel], kind="stable")]
        # Only wanted clients are selected: each one's rows end where the next one's start.
        bounds = np.append(np.searchsorted(client[sel], codes), len(sel))
        return sel, bounds

    a_idx, a_b = rows(cl.adm_client)
    g_idx, g_b = rows(cl.goal_client)
    f_idx, f_b = rows(cl.felt_client)
    r_idx, r_b = rows(cl.refl_client)
    s_idx, s_b = rows(cl.sess_client)
    d_idx, d_b = rows(cl.dec_client)
    fl_idx, fl_b = rows(cl.flag_client)
    t_idx, t_b = rows(cl.tr_client)
    l_idx, l_b = rows(cl.rl_client)
    # One date object per distinct day, shared by every row that has it.
    days = [
        cl.adm_day[a_idx],
        cl.goal_day[g_idx],
        cl.felt_day[f_idx],
        cl.refl_day[r_idx],
        cl.sess_day[s_idx],
        cl.dec_day[d_idx],
        cl.dec_review[d_idx][cl.dec_review[d_idx] >= 0],
        cl.flag_opened[fl_idx],
        cl.flag_ack[fl_idx][cl.flag_ack[fl_idx] < NEVER],
        cl.dec_confirmed[d_idx][cl.dec_confirmed[d_idx] >= 0],
        cl.tr_day[t_idx],
        cl.rl_day[l_idx],
    ]
    distinct = np.unique(np.concatenate(days)).tolist() if any(len(x) for x in days) else []
    dates = {day: date.fromordinal(day) for day in distinct}

    def dlist(values: I) -> list[date]:
        return list(map(dates.__getitem__, values.tolist()))

    def nan_none(values: F) -> list[float | None]:
        return [None if x != x else x for x in values.tolist()]

    adm = [
        Administration(k, day, x, valid=v, risk_grade=r, band=b)
        for k, day, x, v, r, b in zip(
            [cl.instruments[k] for k in cl.adm_instrument[a_idx].tolist()],
            dlist(cl.adm_day[a_idx]),
            nan_none(cl.adm_total[a_idx]),
            cl.adm_valid[a_idx].tolist(),
            cl.adm_risk[a_idx].tolist(),
            ["flourishing" if f else None for f in cl.adm_flourishing[a_idx].tolist()],
            strict=True,
        )
    ]
    names = cl.goal_names
    goals = [
        GoalRating(names[gid] if gid < len(names) else f"g{gid}", ver, day, rating)
        for gid, ver, day, rating in zip(
            cl.goal_id[g_idx].tolist(),
            cl.goal_version[g_idx].tolist(),
            dlist(cl.goal_day[g_idx]),
            cl.goal_rating[g_idx].tolist(),
            strict=True,
        )
    ]
    felts = [
        FeltChange(day, h, None, s)
        for day, h, s in zip(
            dlist(cl.felt_day[f_idx]),
            nan_none(cl.felt_holds[f_idx]),
            nan_none(cl.felt_stuck[f_idx]),
            strict=True,
        )
    ]
    refls = [
        Reflection(day, tuple(None if x != x else x for x in items), text)
        for day, items, text in zip(
            dlist(cl.refl_day[r_idx]),
            cl.refl_items[r_idx].tolist(),
            cl.refl_text[r_idx].tolist(),
            strict=True,
        )
    ]
    sess = dlist(cl.sess_day[s_idx])
    decs = [
        Decision(
            None if ph < 0 else PHASES[ph],
            dates[day],
            kind="no_change" if nc else "change",
            review_date=None if rv < 0 else dates[rv],
            proposal=None if pr < 0 else KINDS[pr],
            awaiting=aw,
            confirmed_on=None if co < 0 else dates[co],
        )
        for ph, day, nc, rv, pr, aw, co in zip(
            cl.dec_phase[d_idx].tolist(),
            cl.dec_day[d_idx].tolist(),
            cl.dec_no_change[d_idx].tolist(),
            cl.dec_review[d_idx].tolist(),
            cl.dec_proposal[d_idx].tolist(),
            cl.dec_awaiting[d_idx].tolist(),
            cl.dec_confirmed[d_idx].tolist(),
            strict=True,
        )
    ]
    trs = [
        TherapistRating(day, tuple(None if x != x else x for x in items))
        for day, items in zip(dlist(cl.tr_day[t_idx]), cl.tr_items[t_idx].tolist(), strict=True)
    ]
    logs = [
        RuptureLog(day, "repair" if rep else "rupture")
        for day, rep in zip(dlist(cl.rl_day[l_idx]), cl.rl_repair[l_idx].tolist(), strict=True)
    ]
    flags = [
        RiskFlag(
            cl.instruments[k],
            cl.flag_item[i],
            grade,
            dates[opened],
            None if ack >= NEVER else dates[ack],
        )
        for i, k, grade, opened, ack in zip(
            fl_idx.tolist(),
            cl.flag_instrument[fl_idx].tolist(),
            cl.flag_grade[fl_idx].tolist(),
            cl.flag_opened[fl_idx].tolist(),
            cl.flag_ack[fl_idx].tolist(),
            strict=True,
        )
    ]
    a_b, g_b, f_b, r_b = a_b.tolist(), g_b.tolist(), f_b.tolist(), r_b.tolist()
    s_b, d_b, fl_b = s_b.tolist(), d_b.tolist(), fl_b.tolist()
    t_b, l_b = t_b.tolist(), l_b.tolist()
    out = []
    for j, c in enumerate(span):
        out.append(
            ClientHistory(
                primary=cl.primary[c],
                prior_therapy=bool(cl.prior_therapy[c]),
                administrations=tuple(adm[a_b[j] : a_b[j + 1]]),
                goals=tuple(goals[g_b[j] : g_b[j + 1]]),
                felt_change=tuple(felts[f_b[j] : f_b[j + 1]]),
                reflections=tuple(refls[r_b[j] : r_b[j + 1]]),
                sessions=tuple(sess[s_b[j] : s_b[j + 1]]),
                decisions=tuple(decs[d_b[j] : d_b[j + 1]]),
                risk_flags=tuple(flags[fl_b[j] : fl_b[j + 1]]),
                therapist_ratings=tuple(trs[t_b[j] : t_b[j + 1]]),
                ruptures=tuple(logs[l_b[j] : l_b[j + 1]]),
                client=cl.clients[c],
            )
        )
    return out
