"""The vectorised path: ``propose`` for a whole caseload at once.

Rows of every table are grouped by client (sorted, stable by day) and each rule
term of ``plusone.core.propose`` is computed with numpy across all clients,
with no Python loop over administrations. The results (kind, alerts, spike
review, open risk) agree with calling ``propose`` per client; a hypothesis
property test checks it. The trace is not built here: callers that need it
for one client call ``propose``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from plusone.core.history import PHASES, ClientHistory
from plusone.core.policy import Policy
from plusone.core.propose import ALERTS, KINDS, MeasureInfo, _instrument_infos

F = npt.NDArray[np.float64]
I = npt.NDArray[np.int64]  # noqa: E741
B = npt.NDArray[np.bool_]

KIND_CODE = {k: i for i, k in enumerate(KINDS)}
PHASE_CODE = {p: i for i, p in enumerate(PHASES)}
NO_PHASE = -1
# A day number far in the future: "never" for acknowledgements and review dates.
NEVER = 10**9


def _i(values: Sequence[int] | I) -> I:
    return np.asarray(values, dtype=np.int64)


def _f(values: Sequence[float] | F) -> F:
    return np.asarray(values, dtype=np.float64)


def _b(values: Sequence[bool] | B) -> B:
    return np.asarray(values, dtype=np.bool_)


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
    # Session Reflections: the three items (NaN = not answered) and the free-text line used.
    refl_client: I
    refl_day: I
    refl_items: F  # shape (rows, 3)
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
            items = [np.nan if x is None else float(x) for x in r.items][:3]
            refl_items.append(items + [np.nan] * (3 - len(items)))
            add("refl_client", c)
            add("refl_day", r.completed.toordinal())
            add("refl_text", bool(r.free_text))
        for d in h.sessions:
            add("sess_client", c)
            add("sess_day", d.toordinal())
        for dec in h.decisions:
            add("dec_client", c)
            add("dec_day", dec.date.toordinal())
            add("dec_phase", NO_PHASE if dec.phase is None else PHASE_CODE[dec.phase])
            add("dec_no_change", dec.kind == "no_change")
            add("dec_review", -1 if dec.review_date is None else dec.review_date.toordinal())
            add("dec_proposal", -1 if dec.proposal is None else KIND_CODE[dec.proposal])  # type: ignore[index]
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
        refl_items=np.asarray(refl_items, dtype=np.float64).reshape(-1, 3),
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
    )


@dataclass
class BatchResult:
    """Per-client results (index = client code) plus the primary-series facts behind them.

    ``flat`` is 1 flat, 0 not flat, -1 no full window (or unknown);
    ``open_flags`` holds indices into the caseload's flag table, per client.
    """

    kind: I
    phase: I
    alerts: B  # (clients, 3) in ALERTS order
    spike_review: B
    open_flag: B  # per flag row
    n: I
    intake: F
    latest: F
    latest_day: I
    usable: B
    improved: B
    below_last2: B
    flat: I
    window_range: F
    # Per primary row (sorted by client, day): the series the rules used.
    series_client: I
    series_day: I
    series_total: F
    gain: B  # a sudden gain between this row (N) and the next (N+1)
    gain_magnitude: F
    gain_reversal: B
    skipped: I  # invalid primary administrations skipped, per client

    def kind_name(self, i: int) -> str:
        return KINDS[int(self.kind[i])]

    def alert_names(self, i: int) -> tuple[str, ...]:
        return tuple(a for j, a in enumerate(ALERTS) if self.alerts[i, j])


class _Groups:
    """Sorted rows of one table, grouped by client."""

    def __init__(self, client: I, n_clients: int) -> None:
        self.client = client
        self.starts = np.searchsorted(client, np.arange(n_clients), side="left")
        self.ends = np.searchsorted(client, np.arange(n_clients), side="right")
        self.n = self.ends - self.starts
        self.pos = np.arange(len(client)) - self.starts[client]
        self.nonempty = self.n > 0

    def reduce(self, ufunc: np.ufunc, values: npt.NDArray[np.generic], empty: float) -> F:
        out = np.full(len(self.n), empty, dtype=np.float64)
        if len(values):
            out[self.nonempty] = ufunc.reduceat(values, self.starts[self.nonempty])
        return out

    def any(self, mask: B) -> B:
        return np.bincount(self.client[mask], minlength=len(self.n)) > 0

    def count(self, mask: B) -> I:
        return np.bincount(self.client[mask], minlength=len(self.n)).astype(np.int64)

    def last_index(self) -> I:
        """Index of each client's last row (-1 when none)."""
        return np.where(self.nonempty, self.ends - 1, -1)


def _sort(client: I, day: I, *extra: I) -> I:
    """Stable order by (client, day, *extra); free when the rows are already in order."""
    if not len(client):
        return np.zeros(0, dtype=np.int64)
    if extra:
        return np.lexsort([*reversed(extra), day, client])
    key = client * (1 << 32) + (day - day.min())
    if bool(np.all(key[1:] >= key[:-1])):
        return np.arange(len(key), dtype=np.int64)
    return np.argsort(key, kind="stable")


def _take(values: npt.NDArray[np.generic], idx: I, fill: float) -> F:
    out = np.full(len(idx), fill, dtype=np.float64)
    ok = idx >= 0
    out[ok] = values[idx[ok]]
    return out


def run_batch(
    cl: Caseload,
    *,
    today: date,
    policy: Policy | None = None,
    measures: Mapping[str, MeasureInfo] | None = None,
) -> BatchResult:
    """Every client's kind, alerts, spike review and open risk, as ``propose`` gives them."""
    policy = policy or Policy()
    infos = measures if measures is not None else _instrument_infos()
    C = cl.n_clients
    t = today.toordinal()
    max_age = policy.lane_max_age_days
    inst_index = {k: i for i, k in enumerate(cl.instruments)}

    def info_for(key: str) -> MeasureInfo:
        return infos.get(key) or MeasureInfo(key=key, title=key)

    # Per-instrument parameters, then per client from its primary.
    n_inst = len(cl.instruments)
    i_cut = _f([np.nan] * n_inst)
    i_rc = _f([np.nan] * n_inst)
    i_sign = _f([1.0] * n_inst)
    i_sev_lo = _f([np.nan] * n_inst)
    i_sev_hi = _f([np.nan] * n_inst)
    for key, j in inst_index.items():
        m = info_for(key)
        i_cut[j] = np.nan if m.cutoff is None else m.cutoff
        i_rc[j] = np.nan if m.rc_points is None else m.rc_points
        i_sign[j] = m.sign
        if m.severe is not None:
            i_sev_lo[j], i_sev_hi[j] = m.severe
    pcode = _i([inst_index[k] for k in cl.primary]) if C else np.zeros(0, dtype=np.int64)
    cut, rc, sign = i_cut[pcode], i_rc[pcode], i_sign[pcode]
    sev_lo, sev_hi = i_sev_lo[pcode], i_sev_hi[pcode]

    def below(x: F, c: F, sg: F) -> B:
        # Strictly on the better side of the cutoff; NaN compares False.
        return np.where(sg > 0, x < c, x > c)

    # --- the agreed phase now ----------------------------------------------------------
    order = _sort(cl.dec_client, cl.dec_day)
    dc, dd = cl.dec_client[order], cl.dec_day[order]
    dp, dn = cl.dec_phase[order], cl.dec_no_change[order]
    dr, dprop = cl.dec_review[order], cl.dec_proposal[order]
    change = ~dn & (dd <= t)
    phase = np.full(C, NO_PHASE, dtype=np.int64)
    since = np.full(C, -1, dtype=np.int64)
    if change.any():
        ci, di, pi = dc[change], dd[change], dp[change]
        last = np.flatnonzero(np.append(ci[1:] != ci[:-1], True))
        phase[ci[last]] = pi[last]
        since[ci[last]] = di[last]
    deep = phase == PHASE_CODE["deepening"]

    # --- the primary series ------------------------------------------------------------
    is_primary = (cl.adm_instrument == pcode[cl.adm_client]) & (cl.adm_day <= t)
    prim = np.flatnonzero(is_primary)
    prim = prim[_sort(cl.adm_client[prim], cl.adm_day[prim])]
    valid = cl.adm_valid[prim] & ~np.isnan(cl.adm_total[prim])
    skipped = np.bincount(cl.adm_client[prim[~valid]], minlength=C).astype(np.int64)
    prim = prim[valid]
    pc, pd = cl.adm_client[prim], cl.adm_day[prim]
    # When several fall on one day the last counts.
    keep = np.append((pc[1:] != pc[:-1]) | (pd[1:] != pd[:-1]), True) if len(prim) else _b([])
    prim = prim[keep]
    sc, sd = cl.adm_client[prim], cl.adm_day[prim]
    sx, srisk = cl.adm_total[prim], cl.adm_risk[prim]
    g = _Groups(sc, C)
    n = g.n
    has = n > 0
    first_i = np.where(has, g.starts, 0)
    last_i = np.where(has, g.ends - 1, 0)
    prev_i = np.where(n >= 2, g.ends - 2, 0)
    intake = np.where(has, _take(sx, np.where(has, first_i, -1), np.nan), np.nan)
    latest = _take(sx, np.where(has, last_i, -1), np.nan)
    prev = _take(sx, np.where(n >= 2, prev_i, -1), np.nan)
    latest_day = np.where(has, _take(sd.astype(np.float64), np.where(has, last_i, -1), 0), 0)
    latest_day = latest_day.astype(np.int64)
    known = has & (t - latest_day <= max_age)
    usable = known & ~np.isnan(rc) & ~np.isnan(cut)
    r_sign, r_rc, r_cut = sign[sc], rc[sc], cut[sc]

    improvement = (intake - latest) * sign
    improved = usable & (improvement >= rc)
    below_latest = below(latest, cut, sign)
    below_intake = below(intake, cut, sign)
    below_last2 = usable & (n >= 2) & below_latest & below(prev, cut, sign)

    # Sudden gains at every position N (better direction, crit1 = RC points).
    gain, magnitude, reversal = _gains(sx, g, r_sign, r_rc)

    # Flat: the window is the largest start j <= n - k whose day is >= 28 days before the latest.
    last_day_row = latest_day[sc]
    early = np.bincount(sc[sd <= last_day_row - policy.window_days], minlength=C)
    j = np.minimum(early - 1, n - policy.k)
    has_window = usable & (n >= policy.k) & (j >= 0)
    in_window = g.pos >= j[sc]
    wmax = g.reduce(np.maximum, np.where(in_window, sx, -np.inf), -np.inf)
    wmin = g.reduce(np.minimum, np.where(in_window, sx, np.inf), np.inf)
    window_range = np.where(has_window, wmax - wmin, np.nan)
    boundary = np.where(has_window & (j >= 1), g.starts + j - 1, -1)
    gain_at_start = np.zeros(C, dtype=np.bool_)
    okb = boundary >= 0
    gain_at_start[okb] = gain[boundary[okb]]
    flat_b = has_window & (window_range < rc) & ~gain_at_start
    flat = np.where(has_window, flat_b.astype(np.int64), -1)

    # --- alerts ------------------------------------------------------------------------
    not_progressing = (
        usable
        & (n >= policy.not_progressing_from)
        & ~below_intake
        & (improvement < rc)
        & ~below_latest
    )
    look = (g.pos >= (n[sc] - 1 - policy.deterioration_lookback)) & (g.pos <= n[sc] - 2)
    best = g.reduce(np.minimum, np.where(look, sx * r_sign, np.inf), np.inf)
    deterioration = (
        usable
        & (n >= 2)
        & ~below_latest
        & (((latest - intake) * sign >= rc) | (latest * sign - best >= rc))
    )
    rupture = _rupture(cl, C, t, policy)
    alerts = np.stack([not_progressing, deterioration, rupture], axis=1)
    any_alert = alerts.any(axis=1)

    # --- open risk -----------------------------------------------------------------------
    open_flag = (cl.flag_opened <= t) & (cl.flag_ack > t)
    any_open = np.bincount(cl.flag_client[open_flag], minlength=C) > 0

    # --- own words and growth ------------------------------------------------------------
    goals_known, goals_mean, goals_up = _goals(cl, C, t, max_age, policy)
    goals_low = goals_known & (goals_mean < policy.goal_mark)
    goals_met = goals_known & (goals_mean >= policy.goal_mark)
    holds, stuck, felt_known = _latest_felt(cl, C, t, max_age)
    holds_low = felt_known & (holds < policy.felt_change_holds_mark)
    stuck_low = felt_known & (stuck <= policy.stuckness_low_max)
    growth_since = np.where(deep, since, -1)
    growth_known, growth_up = _growth(cl, C, t, max_age, policy, growth_since, i_rc, i_sign)

    # --- Stabilizing (and none yet) ------------------------------------------------------------
    sym = usable & below_last2 & flat_b
    unmet = goals_low | holds_low | (growth_known & ~growth_up)
    plus_one = sym & unmet
    good_enough = sym & goals_met & stuck_low
    stalled = usable & improved & ~(has & below_latest) & flat_b
    intake_route = (
        (phase == NO_PHASE)
        & usable
        & (n >= 2)
        & below_intake
        & below_latest
        & cl.prior_therapy
        & goals_low
    )
    stab_kind = np.select(
        [plus_one | intake_route, good_enough, stalled, (phase == NO_PHASE) & (n >= 1)],
        [
            KIND_CODE["plus_one"],
            KIND_CODE["good_enough_ending"],
            KIND_CODE["stalled_review"],
            KIND_CODE["stabilizing"],
        ],
        KIND_CODE["none"],
    )

    # --- Deepening ---------------------------------------------------------------------------
    spike_exit, single = _spikes(
        g,
        sx,
        sd,
        srisk,
        since,
        deep & usable,
        r_sign,
        r_rc,
        r_cut,
        sev_lo,
        sev_hi,
        any_open,
        policy,
    )
    trailing_below = _trailing(g, below(sx, r_cut, r_sign))
    run_days = np.where(
        trailing_below > 0,
        latest_day
        - _take(
            sd.astype(np.float64), np.where(trailing_below > 0, g.ends - trailing_below, -1), 0
        ),
        0,
    )
    below_ok = (
        usable
        & (trailing_below >= policy.consolidating_min_admins)
        & (run_days >= policy.consolidating_weeks * 7)
    )
    mhcsf = _mhcsf_twice(cl, C, t, max_age, policy)
    felt_ok = _felt_two_checks(cl, C, t, since, max_age, policy)
    goals_ok = goals_known & ((goals_mean >= policy.goal_mark) | goals_up)
    sess_in = (cl.sess_day >= since[cl.sess_client]) & (cl.sess_day <= t)
    sessions_ok = np.bincount(cl.sess_client[sess_in], minlength=C) >= policy.deepening_min_sessions
    consolidating = below_ok & (growth_up | mhcsf) & felt_ok & goals_ok & sessions_ok
    deep_kind = np.select(
        [spike_exit, consolidating],
        [KIND_CODE["spike_exit"], KIND_CODE["consolidating"]],
        KIND_CODE["none"],
    )
    spike_review = deep & single & ~spike_exit & ~consolidating

    # --- Consolidating -------------------------------------------------------------------------
    weeks = (t - since) // 7
    ending = (weeks >= policy.consolidating_to_ending_weeks) & usable & below_latest & ~any_alert

    kind = np.full(C, KIND_CODE["none"], dtype=np.int64)
    stab = (phase == NO_PHASE) | (phase == PHASE_CODE["stabilizing"])
    kind[stab] = stab_kind[stab]
    kind[phase == PHASE_CODE["plus_one"]] = KIND_CODE["deepening_or_ending"]
    kind[deep] = deep_kind[deep]
    cons = phase == PHASE_CODE["consolidating"]
    kind[cons & ending] = KIND_CODE["ending"]

    # --- declined proposals ----------------------------------------------------------------
    default_review = dd + 7 * policy.decline_review_weeks
    review = np.where(dr >= 0, dr, default_review)
    holds_back = (
        dn
        & (dd <= t)
        & ((since[dc] < 0) | (dd >= since[dc]))
        & ((dprop < 0) | (dprop == kind[dc]))
        & (t < review)
    )
    declined = np.bincount(dc[holds_back], minlength=C) > 0
    kind[declined & (kind != KIND_CODE["none"])] = KIND_CODE["none"]

    return BatchResult(
        kind=kind,
        phase=phase,
        alerts=alerts,
        spike_review=spike_review,
        open_flag=open_flag,
        n=n,
        intake=intake,
        latest=latest,
        latest_day=latest_day,
        usable=usable,
        improved=improved,
        below_last2=below_last2,
        flat=flat,
        window_range=window_range,
        series_client=sc,
        series_day=sd,
        series_total=sx,
        gain=gain,
        gain_magnitude=magnitude,
        gain_reversal=reversal,
        skipped=skipped,
    )


def _shift(x: F, k: int, g: _Groups) -> F:
    """x shifted so row i sees row i + k of the same client (NaN outside the client)."""
    out = np.full(len(x), np.nan)
    if k > 0:
        out[:-k] = x[k:]
        ok = g.pos + k < g.n[g.client]
    else:
        out[-k:] = x[: len(x) + k]
        ok = g.pos + k >= 0
    return np.where(ok, out, np.nan)


def _gains(x: F, g: _Groups, sign: F, crit1: F) -> tuple[B, F, B]:
    """Sudden gains (plusone.core.gains rules) with N at each row, across all clients."""
    from plusone.core.gains import CRIT2_SHARE, T_CRIT

    if len(x) == 0:
        return _b([]), _f([]), _b([])
    nrow = g.n[g.client]
    xs = x * sign
    m2, m1, p1, p2, p3 = (_shift(xs, k, g) for k in (-2, -1, 1, 2, 3))
    in_range = (g.pos >= 1) & (g.pos + 1 <= nrow - 2)
    change = xs - p1
    ok = in_range & (change >= crit1) & (change >= CRIT2_SHARE * np.abs(x))
    # Criterion 3 only where criteria 1 and 2 already hold (few rows).
    cand = np.flatnonzero(ok)
    pre = np.stack([m2[cand], m1[cand], xs[cand]], axis=1)
    post = np.stack([p1[cand], p2[cand], p3[cand]], axis=1)

    def mean_var(a: F) -> tuple[F, F, F]:
        present = ~np.isnan(a)
        cnt = present.sum(axis=1).astype(np.float64)
        z = np.where(present, a, 0.0)
        # Left-to-right sums, as the per-client code adds them.
        total = (z[:, 0] + z[:, 1]) + z[:, 2]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total / cnt
            dev = np.where(present, (a - mean[:, None]) ** 2, 0.0)
            var = ((dev[:, 0] + dev[:, 1]) + dev[:, 2]) / (cnt - 1)
        return mean, var, cnt

    mpre, vpre, npre = mean_var(pre)
    mpost, vpost, npost = mean_var(post)
    df = npre + npost - 2
    tcrit = np.select([df == 4, df == 3, df == 2], [T_CRIT[4], T_CRIT[3], T_CRIT[2]], np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = np.sqrt(((npre - 1) * vpre + (npost - 1) * vpost) / df)
        c3 = (mpre - mpost) > tcrit * pooled
    gain = np.zeros(len(x), dtype=np.bool_)
    gain[cand] = (npre >= 2) & (npost >= 2) & c3
    # Reversal: any later score (from N+2) at least half-way back; a suffix max per client.
    span = float(np.nanmax(np.abs(xs))) * 4 + 10.0
    shifted = xs - g.client * span
    suffix = np.maximum.accumulate(shifted[::-1])[::-1] + g.client * span
    later = _shift(suffix, 2, g)
    reversal = gain & (later >= p1 + change / 2.0)
    return gain, np.where(gain, change, np.nan), reversal


def _trailing(g: _Groups, flag: B) -> I:
    """How many of each client's last rows in a row have ``flag`` set."""
    blocked = np.where(~flag, g.pos, -1).astype(np.float64)
    last_blocked = g.reduce(np.maximum, blocked, -1.0).astype(np.int64)
    return np.where(g.n > 0, g.n - 1 - last_blocked, 0)


def _spikes(
    g: _Groups,
    sx: F,
    sd: I,
    srisk: I,
    since: I,
    active: B,
    sign: F,
    rc: F,
    cut: F,
    sev_lo: F,
    sev_hi: F,
    any_open: B,
    policy: Policy,
) -> tuple[B, B]:
    C = len(g.n)
    if len(sx) == 0:
        return np.zeros(C, dtype=np.bool_), np.zeros(C, dtype=np.bool_)
    # Baseline: the last administration on or before the decision, else the first.
    on_before = sd <= since[g.client]
    base_pos = g.reduce(np.maximum, np.where(on_before, g.pos, -1).astype(np.float64), -1.0)
    base_pos = np.maximum(base_pos, 0).astype(np.int64)
    base = _take(sx, np.where(g.n > 0, g.starts + base_pos, -1), np.nan)
    eligible = (g.pos > base_pos[g.client]) & (sd > since[g.client])
    spike = eligible & ((sx - base[g.client]) * sign >= rc)
    run = np.where(active, _trailing(g, spike), 0)
    latest = _take(sx, np.where(g.n > 0, g.ends - 1, -1), np.nan)
    latest_risk = _take(srisk.astype(np.float64), np.where(g.n > 0, g.ends - 1, -1), 0)
    not_below = ~np.where(sign > 0, sx < cut, sx > cut)
    above_run = _trailing(g, not_below)
    m = policy.spike_above_cutoff_in_a_row
    severe = (latest >= sev_lo) & (latest <= sev_hi)
    exit_ = (run >= 1) & (
        (run >= policy.spike_lasts)
        | ((run >= m) & (above_run >= m))
        | severe
        | (latest_risk > 0)
        | any_open
    )
    single = (run >= 1) & ~exit_
    return exit_, single


def _rupture(cl: Caseload, C: int, t: int, policy: Policy) -> B:
    order = _sort(cl.refl_client, cl.refl_day)
    keep = order[cl.refl_day[order] <= t]
    rc_, rd = cl.refl_client[keep], cl.refl_day[keep]
    items, text = cl.refl_items[keep], cl.refl_text[keep]
    present = ~np.isnan(items)
    z = np.where(present, items, 0.0)
    cnt = present.sum(axis=1)
    with np.errstate(all="ignore"):
        # Left-to-right sums, as the per-client code adds them.
        mean = np.where(cnt > 0, ((z[:, 0] + z[:, 1]) + z[:, 2]) / cnt, np.nan)
        low = np.where(cnt > 0, np.min(np.where(present, items, np.inf), axis=1), np.nan)
    g = _Groups(rc_, C)
    has = g.n > 0
    li = g.last_index()
    fresh = has & (t - _take(rd.astype(np.float64), li, -1e18) <= policy.lane_max_age_days)
    lmean, lmin = _take(mean, li, np.nan), _take(low, li, np.nan)
    ltext = _take(text.astype(np.float64), li, 0) > 0
    absolute = (lmin <= policy.rupture_item_max) | ltext
    m = policy.rupture_median_of
    prev = np.full((C, m), np.nan)
    for back in range(1, m + 1):
        idx = np.where(g.n - 1 - back >= 0, g.ends - 1 - back, -1)
        prev[:, m - back] = _take(mean, idx, np.nan)
    # Median of the present values: sorting puts NaN last, then take the middle one or two.
    ordered = np.sort(prev, axis=1)
    k = (~np.isnan(prev)).sum(axis=1)
    any_prev = k > 0
    lo = np.take_along_axis(ordered, np.maximum((k - 1) // 2, 0)[:, None], axis=1)[:, 0]
    hi = np.take_along_axis(ordered, np.maximum(k // 2, 0)[:, None], axis=1)[:, 0]
    med = np.where(any_prev, (lo + hi) / 2, np.nan)
    relative = (
        (g.n >= policy.rupture_relative_from)
        & ~np.isnan(lmean)
        & any_prev
        & (lmean <= med - policy.rupture_drop)
    )
    out: B = fresh & (absolute | relative)
    return out


def _goals(cl: Caseload, C: int, t: int, max_age: int, policy: Policy) -> tuple[B, F, B]:
    sel = np.flatnonzero(cl.goal_day <= t)
    known = np.zeros(C, dtype=np.bool_)
    mean = np.full(C, np.nan)
    up = np.zeros(C, dtype=np.bool_)
    if len(sel) == 0:
        return known, mean, up
    # Key each (client, goal) pair; order by pair, then day (stable).
    n_goals = int(cl.goal_id[sel].max()) + 1
    pair = cl.goal_client[sel] * n_goals + cl.goal_id[sel]
    sel = sel[_sort(pair, cl.goal_day[sel])]
    pair = cl.goal_client[sel] * n_goals + cl.goal_id[sel]
    starts = np.flatnonzero(np.append(True, pair[1:] != pair[:-1]))
    seg = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(pair))))
    # Only the current (highest) version of each goal counts.
    version = cl.goal_version[sel]
    cur = version == np.maximum.reduceat(version, starts)[seg]
    sel, pair = sel[cur], pair[cur]
    day = cl.goal_day[sel]
    first = np.append(True, pair[1:] != pair[:-1])
    last = np.append(pair[1:] != pair[:-1], True)
    rating = cl.goal_rating[sel]
    client_of = cl.goal_client[sel]
    lc, fc = client_of[last], client_of[first]
    count = np.bincount(lc, minlength=C)
    has = count > 0
    total_last = np.bincount(lc, weights=rating[last], minlength=C)
    total_first = np.bincount(fc, weights=rating[first], minlength=C)
    # The newest latest rating per client: lc is sorted, so reduce over its runs.
    newest = np.full(C, -(10**9), dtype=np.int64)
    runs = np.flatnonzero(np.append(True, lc[1:] != lc[:-1]))
    newest[lc[runs]] = np.maximum.reduceat(day[last], runs)
    known = has & (t - newest <= max_age)
    with np.errstate(all="ignore"):
        mean = np.where(known, total_last / count, np.nan)
        mean0 = np.where(known, total_first / count, np.nan)
    up = known & (mean - mean0 >= policy.goal_rc_points)
    return known, mean, up


def _latest_felt(cl: Caseload, C: int, t: int, max_age: int) -> tuple[F, F, B]:
    order = _sort(cl.felt_client, cl.felt_day)
    keep = order[cl.felt_day[order] <= t]
    g = _Groups(cl.felt_client[keep], C)
    li = g.last_index()
    day = _take(cl.felt_day[keep].astype(np.float64), li, -1e18)
    known = (li >= 0) & (t - day <= max_age)
    return _take(cl.felt_holds[keep], li, np.nan), _take(cl.felt_stuck[keep], li, np.nan), known


def _felt_two_checks(cl: Caseload, C: int, t: int, since: I, max_age: int, policy: Policy) -> B:
    order = _sort(cl.felt_client, cl.felt_day)
    fc, fd = cl.felt_client[order], cl.felt_day[order]
    keep = order[(fd >= since[fc]) & (fd <= t) & (since[fc] >= 0)]
    g = _Groups(cl.felt_client[keep], C)
    li = g.last_index()
    pi = np.where(g.n >= 2, g.ends - 2, -1)
    h1, h2 = _take(cl.felt_holds[keep], li, np.nan), _take(cl.felt_holds[keep], pi, np.nan)
    day = _take(cl.felt_day[keep].astype(np.float64), li, -1e18)
    mark = policy.felt_change_holds_mark
    return (g.n >= 2) & (t - day <= max_age) & (h1 >= mark) & (h2 >= mark)


def _growth(
    cl: Caseload, C: int, t: int, max_age: int, policy: Policy, since: I, i_rc: F, i_sign: F
) -> tuple[B, B]:
    codes = [i for i, k in enumerate(cl.instruments) if k in policy.growth_instruments]
    lane = np.isin(cl.adm_instrument, codes) & (cl.adm_day <= t) & cl.adm_valid
    lane &= ~np.isnan(cl.adm_total)
    idx = np.flatnonzero(lane)
    recent = cl.adm_day[idx] >= t - max_age
    known = np.bincount(cl.adm_client[idx][recent], minlength=C) > 0
    # Per (client, instrument) series; instruments without RC parameters never count.
    idx = idx[~np.isnan(i_rc[cl.adm_instrument[idx]])]
    n_inst = max(len(cl.instruments), 1)
    pair = cl.adm_client[idx] * n_inst + cl.adm_instrument[idx]
    day = cl.adm_day[idx]
    order = np.lexsort((day, pair))
    idx, pair, day = idx[order], pair[order], day[order]
    client = cl.adm_client[idx]
    inst = cl.adm_instrument[idx]
    x = cl.adm_total[idx]
    uniq, start, count = np.unique(pair, return_index=True, return_counts=True)
    seg = np.repeat(np.arange(len(uniq)), count)
    s_seg = since[client]
    on_before = (s_seg >= 0) & (day <= s_seg)
    # Days are sorted within each series, so the rows on or before the decision are a prefix.
    base_pos = np.maximum(np.bincount(seg[on_before], minlength=len(uniq)) - 1, 0)
    enough = count - base_pos >= 2
    base = x[start + base_pos]
    last = x[start + count - 1]
    u_inst = inst[start]
    u_client = client[start]
    change = (base - last) * i_sign[u_inst]
    rcu = i_rc[u_inst]
    upu = enough & (change >= rcu)
    downu = enough & (-change >= rcu)
    up = np.bincount(u_client[upu], minlength=C) > 0
    down = np.bincount(u_client[downu], minlength=C) > 0
    return known, known & up & ~down


def _mhcsf_twice(cl: Caseload, C: int, t: int, max_age: int, policy: Policy) -> B:
    if "mhcsf" not in cl.instruments:
        return np.zeros(C, dtype=np.bool_)
    code = cl.instruments.index("mhcsf")
    idx = np.flatnonzero((cl.adm_instrument == code) & cl.adm_valid & (cl.adm_day <= t))
    idx = idx[_sort(cl.adm_client[idx], cl.adm_day[idx])]
    g = _Groups(cl.adm_client[idx], C)
    li = g.last_index()
    pi = np.where(g.n >= 2, g.ends - 2, -1)
    d1 = _take(cl.adm_day[idx].astype(np.float64), li, np.nan)
    d0 = _take(cl.adm_day[idx].astype(np.float64), pi, np.nan)
    f1 = _take(cl.adm_flourishing[idx].astype(np.float64), li, 0) > 0
    f0 = _take(cl.adm_flourishing[idx].astype(np.float64), pi, 0) > 0
    return (g.n >= 2) & f1 & f0 & (d1 - d0 >= policy.mhcsf_min_days_apart) & (t - d1 <= max_age)


def open_flags_for(cl: Caseload, result: BatchResult, client: int) -> list[tuple[str, int]]:
    """The open flags of one client as (item id, grade), oldest first."""
    rows = np.flatnonzero((cl.flag_client == client) & result.open_flag)
    rows = rows[np.argsort(cl.flag_opened[rows], kind="stable")]
    return [(cl.flag_item[i], int(cl.flag_grade[i])) for i in rows]


def day_to_date(day: int) -> date:
    return date.fromordinal(day)


__all__ = [
    "BatchResult",
    "Caseload",
    "caseload_from_histories",
    "day_to_date",
    "open_flags_for",
    "run_batch",
    "timedelta",
]


def histories_of(cl: Caseload, clients: range | None = None) -> list[ClientHistory]:
    """Unpack a Caseload into one ClientHistory per client (the inverse of caseload_from_histories).

    ``clients`` limits the result to a range of client codes. Goal ids come
    back as ``g<code>``; goal labels are not kept in a Caseload.
    """
    from plusone.core.history import (
        Administration,
        Decision,
        FeltChange,
        GoalRating,
        Reflection,
        RiskFlag,
    )

    span = clients if clients is not None else range(cl.n_clients)
    lo, hi = span.start, span.stop

    def rows(client: I) -> tuple[I, I]:
        """Row indices of the clients in range, grouped by client (stable), and group bounds."""
        sel = np.flatnonzero((client >= lo) & (client < hi))
        sel = sel[np.argsort(client[sel], kind="stable")]
        bounds = np.searchsorted(client[sel], np.arange(lo, hi + 1))
        return sel, bounds

    a_idx, a_b = rows(cl.adm_client)
    g_idx, g_b = rows(cl.goal_client)
    f_idx, f_b = rows(cl.felt_client)
    r_idx, r_b = rows(cl.refl_client)
    s_idx, s_b = rows(cl.sess_client)
    d_idx, d_b = rows(cl.dec_client)
    fl_idx, fl_b = rows(cl.flag_client)
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
        )
        for ph, day, nc, rv, pr in zip(
            cl.dec_phase[d_idx].tolist(),
            cl.dec_day[d_idx].tolist(),
            cl.dec_no_change[d_idx].tolist(),
            cl.dec_review[d_idx].tolist(),
            cl.dec_proposal[d_idx].tolist(),
            strict=True,
        )
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
                client=cl.clients[c],
            )
        )
    return out
