"""The vectorised path: ``propose`` for a whole caseload at once.

Rows of every table are grouped by client (sorted, stable by day) and each rule
term of ``plusone.core.propose`` is computed with numpy across all clients,
with no Python loop over administrations. The results (kind, alerts, spike
review, open risk, the agreed phase, the move awaiting the client, the held
proposal, the consult) agree with calling ``propose`` per client; a hypothesis
property test checks it. Every threshold comes from ``Policy`` and the
instrument parameters from ``plusone.core.measure_info``. The trace is not
built here: callers that need it for one client call ``propose``.

One module on purpose, though long: ``run_batch`` follows ``propose`` and
``plusone.core.phase_rules`` rule by rule, in the order of the phase table, so that the
two can be read side by side. What stands alone is elsewhere: the lanes and the rupture
alert in ``batch_lanes``, the tables in ``caseload``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from plusone.core import batch_lanes as lanes
from plusone.core.batch_lanes import Groups, sort_rows, take
from plusone.core.caseload import (
    KIND_CODE,
    NEVER,
    NO_PHASE,
    PHASE_CODE,
    B,
    Caseload,
    F,
    I,
    _b,
    _f,
    _i,
    caseload_from_histories,
    histories_of,
)
from plusone.core.measure_info import (
    MeasureInfo,
    effective_infos,
    growth_points,
    instrument_infos,
)
from plusone.core.phases import CONFIRMED_BY_CLIENT, STEP_BACKS
from plusone.core.policy import Policy
from plusone.core.propose import ALERTS, FORWARD, KINDS


@dataclass
class BatchResult:
    """Per-client results (index = client code) plus the primary-series facts behind them.

    ``flat`` is 1 flat, 0 not flat, -1 no full window (or unknown);
    ``open_flag`` is per flag row. ``phase``, ``awaiting`` and ``held`` are
    codes (-1 none); ``since`` and ``awaiting_day`` day numbers (-1 none).
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
    below_window: B
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
    since: I
    awaiting: I
    awaiting_day: I
    held: I
    repair_first: B
    consult: B

    def kind_name(self, i: int) -> str:
        return KINDS[int(self.kind[i])]

    def alert_names(self, i: int) -> tuple[str, ...]:
        return tuple(a for j, a in enumerate(ALERTS) if self.alerts[i, j])


def _phase_now(cl: Caseload, C: int, t: int) -> tuple[I, I, I, I]:
    """``plusone.core.phases.current_phase`` for every client: phase, since, awaiting, its day.

    Decisions are taken in (client, date) order. A move into Deepening,
    Consolidating or an Ending waits for the client's confirmation unless it
    is a step back; the only step back into such a phase is Consolidating to
    Deepening, so an unconfirmed Deepening decision takes effect exactly when
    the phase before it is Consolidating.
    """
    order = sort_rows(cl.dec_client, cl.dec_day)
    rows = order[~cl.dec_no_change[order] & (cl.dec_day[order] <= t)]
    dc, dd, dp = cl.dec_client[rows], cl.dec_day[rows], cl.dec_phase[rows]
    conf = cl.dec_confirmed[rows]
    aw = cl.dec_awaiting[rows]
    phase = np.full(C, NO_PHASE, dtype=np.int64)
    since = np.full(C, -1, dtype=np.int64)
    awaiting = np.full(C, NO_PHASE, dtype=np.int64)
    awaiting_day = np.full(C, -1, dtype=np.int64)
    if not len(rows):
        return phase, since, awaiting, awaiting_day
    confirm_codes = [PHASE_CODE[p] for p in CONFIRMED_BY_CLIENT]
    target = np.isin(dp, confirm_codes)
    confirmed = np.where(conf >= 0, conf <= t, ~aw)
    sure = ~target | confirmed
    deep, cons = PHASE_CODE["deepening"], PHASE_CODE["consolidating"]
    pending_deep = ~sure & (dp == deep)
    g = Groups(dc, C)
    idx = np.arange(len(rows))
    # The latest sure row before each row (same client), and how many pending-Deepening rows since.
    last_sure = np.maximum.accumulate(np.where(sure, idx, -1))
    prev_sure = np.concatenate(([-1], last_sure[:-1]))
    prev_sure = np.where(prev_sure >= g.starts[dc], prev_sure, -1)
    cum = np.cumsum(pending_deep)
    between = np.where(prev_sure >= 0, cum - pending_deep - cum[np.maximum(prev_sure, 0)], 0)
    prev_phase = np.where(prev_sure >= 0, dp[np.maximum(prev_sure, 0)], NO_PHASE)
    in_effect = sure | (pending_deep & (prev_phase == cons) & (between == 0))
    # The phase before each row is that of the latest row in effect before it.
    last_in = np.maximum.accumulate(np.where(in_effect, idx, -1))
    prev_in = np.concatenate(([-1], last_in[:-1]))
    prev_in = np.where(prev_in >= g.starts[dc], prev_in, -1)
    before = np.where(prev_in >= 0, dp[np.maximum(prev_in, 0)], NO_PHASE)
    step_back = np.zeros(len(rows), dtype=np.bool_)
    for a, b in STEP_BACKS:
        step_back |= (before == (NO_PHASE if a is None else PHASE_CODE[a])) & (
            dp == (NO_PHASE if b is None else PHASE_CODE[b])
        )
    needs = target & ~step_back
    effective = np.where(needs & (conf >= 0), np.maximum(dd, conf), dd)
    last_eff = g.reduce(np.maximum, np.where(in_effect, idx, -1).astype(np.float64), -1.0)
    last_eff = last_eff.astype(np.int64)
    ok = last_eff >= 0
    phase[ok] = dp[last_eff[ok]]
    since[ok] = effective[last_eff[ok]]
    last_row = g.last_index()
    waiting = (last_row >= 0) & ~in_effect[np.maximum(last_row, 0)]
    awaiting[waiting] = dp[last_row[waiting]]
    awaiting_day[waiting] = dd[last_row[waiting]]
    return phase, since, awaiting, awaiting_day


def run_batch(
    cl: Caseload,
    *,
    today: date,
    policy: Policy | None = None,
    measures: Mapping[str, MeasureInfo] | None = None,
) -> BatchResult:
    """Every client's kind, alerts, spike review and open risk, as ``propose`` gives them."""
    policy = policy or Policy()
    infos = effective_infos(measures if measures is not None else instrument_infos(), policy)
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
    i_growth = _f([np.nan] * n_inst)
    for key, j in inst_index.items():
        m = info_for(key)
        i_cut[j] = np.nan if m.cutoff is None else m.cutoff
        i_rc[j] = np.nan if m.rc_points is None else m.rc_points
        i_sign[j] = m.sign
        if m.severe is not None:
            i_sev_lo[j], i_sev_hi[j] = m.severe
        points = growth_points(key, m, policy)[0]
        i_growth[j] = np.nan if points is None else points
    pcode = _i([inst_index[k] for k in cl.primary]) if C else np.zeros(0, dtype=np.int64)
    cut, rc, sign = i_cut[pcode], i_rc[pcode], i_sign[pcode]
    sev_lo, sev_hi = i_sev_lo[pcode], i_sev_hi[pcode]

    def below(x: F, c: F, sg: F) -> B:
        # Strictly on the better side of the cutoff; NaN compares False.
        return np.where(sg > 0, x < c, x > c)

    phase, since, awaiting, awaiting_day = _phase_now(cl, C, t)
    deep = phase == PHASE_CODE["deepening"]
    cons = phase == PHASE_CODE["consolidating"]

    # --- the primary series ------------------------------------------------------------
    is_primary = (cl.adm_instrument == pcode[cl.adm_client]) & (cl.adm_day <= t)
    prim = np.flatnonzero(is_primary)
    prim = prim[sort_rows(cl.adm_client[prim], cl.adm_day[prim])]
    valid = cl.adm_valid[prim] & ~np.isnan(cl.adm_total[prim])
    skipped = np.bincount(cl.adm_client[prim[~valid]], minlength=C).astype(np.int64)
    prim = prim[valid]
    pc, pd = cl.adm_client[prim], cl.adm_day[prim]
    # When several fall on one day the last counts (within that day only).
    keep = np.append((pc[1:] != pc[:-1]) | (pd[1:] != pd[:-1]), True) if len(prim) else _b([])
    prim = prim[keep]
    sc, sd = cl.adm_client[prim], cl.adm_day[prim]
    sx = cl.adm_total[prim]
    g = Groups(sc, C)
    n = g.n
    has = n > 0
    first_i = np.where(has, g.starts, 0)
    last_i = np.where(has, g.ends - 1, 0)
    intake = np.where(has, take(sx, np.where(has, first_i, -1), np.nan), np.nan)
    latest = take(sx, np.where(has, last_i, -1), np.nan)
    latest_day = np.where(has, take(sd.astype(np.float64), np.where(has, last_i, -1), 0), 0)
    latest_day = latest_day.astype(np.int64)
    known = has & (t - latest_day <= max_age)
    usable = known & ~np.isnan(rc) & ~np.isnan(cut)
    r_sign, r_rc, r_cut = sign[sc], rc[sc], cut[sc]
    row_below = below(sx, r_cut, r_sign)

    improvement = (intake - latest) * sign
    improved = usable & (improvement >= rc)
    below_latest = below(latest, cut, sign)
    below_intake = below(intake, cut, sign)

    # Sudden gains at every position N (better direction, crit1 = RC points).
    gain, magnitude, reversal = _gains(sx, g, r_sign, r_rc)

    # Flat: the window is the largest start j <= n - k whose day is >= window_days before latest.
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
    # Relief held: below cutoff on every administration of the window.
    below_window = has_window & ~g.any(in_window & ~row_below)
    all_below = has & ~g.any(~row_below)

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
    rupture = lanes.rupture(
        cl,
        C,
        t,
        max_age,
        {
            "rupture_item_max": policy.rupture_item_max,
            "rupture_drop": policy.rupture_drop,
            "rupture_median_of": policy.rupture_median_of,
            "rupture_relative_from": policy.rupture_relative_from,
            "congruence_gap": policy.congruence_gap,
        },
    )
    alerts = np.stack([not_progressing, deterioration, rupture], axis=1)
    any_alert = alerts.any(axis=1)

    # --- open risk -----------------------------------------------------------------------
    open_flag = (cl.flag_opened <= t) & (cl.flag_ack > t)

    # --- own words and growth ------------------------------------------------------------
    goals_known, goals_mean, goals_up = lanes.goals(
        cl, C, t, max_age, policy.goal_mark, policy.goal_rc_points
    )
    goals_low = goals_known & (goals_mean < policy.goal_mark)
    goals_met = goals_known & (goals_mean >= policy.goal_mark)
    holds, stuck, felt_known = lanes.latest_felt(cl, C, t, max_age)
    holds_low = felt_known & (holds < policy.felt_change_holds_mark)
    stuck_low = felt_known & (stuck <= policy.stuckness_low_max)
    growth_codes = [inst_index[k] for k in policy.growth_instruments if k in inst_index]
    growth_since = np.where(deep, since, -1)
    growth_known, growth_up = lanes.growth(
        cl, C, t, max_age, growth_codes, growth_since, i_growth, i_sign
    )

    # --- Stabilizing (and none yet) ------------------------------------------------------------
    sym = usable & below_window & flat_b
    unmet = goals_low | holds_low | (growth_known & ~growth_up)
    plus_one = sym & unmet
    good_enough = sym & goals_met & stuck_low
    stalled = usable & improved & ~(has & below_latest) & flat_b
    intake_route = (
        (phase == NO_PHASE)
        & usable
        & (n >= policy.intake_route_from)
        & all_below
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

    # --- +1 threshold ------------------------------------------------------------------------
    since_f = np.where(since >= 0, since, np.nan).astype(np.float64)
    risk_since = lanes.max_risk_from(cl, C, t, since_f, strict=True)
    step_back_threshold = deterioration | (risk_since >= policy.step_back_risk_grade)

    # --- Deepening and Consolidating: spikes ----------------------------------------------------
    run, severe_rise, risk_rise = _spikes(
        cl, g, sx, sd, since, deep | cons, usable, r_sign, r_rc, sev_lo, sev_hi, C, t
    )
    not_below_run = _trailing(g, ~row_below)
    in_a_row = policy.spike_above_cutoff_in_a_row
    spike_exit = (run >= 1) & (
        (run >= policy.spike_lasts)
        | ((run >= in_a_row) & (not_below_run >= in_a_row))
        | severe_rise
        | (risk_rise > 0)
    )
    single = (run >= 1) & ~spike_exit
    trailing_below = _trailing(g, row_below)
    run_days = np.where(
        trailing_below > 0,
        latest_day
        - take(sd.astype(np.float64), np.where(trailing_below > 0, g.ends - trailing_below, -1), 0),
        0,
    )
    below_ok = (
        usable
        & (trailing_below >= policy.consolidating_min_admins)
        & (run_days >= policy.consolidating_days)
    )
    mhcsf = lanes.mhcsf_twice(cl, C, t, max_age, policy.mhcsf_min_days_apart)
    felt_ok = lanes.felt_two_checks(cl, C, t, since, max_age, policy.felt_change_holds_mark)
    goals_ok = goals_known & ((goals_mean >= policy.goal_mark) | goals_up)
    sess_in = (cl.sess_day >= since[cl.sess_client]) & (cl.sess_day <= t)
    sessions_ok = np.bincount(cl.sess_client[sess_in], minlength=C) >= policy.deepening_min_sessions
    consolidating = below_ok & (growth_up | mhcsf) & felt_ok & goals_ok & sessions_ok
    deep_kind = np.select(
        [spike_exit, consolidating],
        [KIND_CODE["spike_exit"], KIND_CODE["consolidating"]],
        KIND_CODE["none"],
    )
    ending = (
        (t - since >= policy.consolidating_to_ending_days)
        & usable
        & below_latest
        & ~any_alert
        & ~single
    )
    to_stabilizing = severe_rise | (risk_rise >= policy.step_back_risk_grade)
    cons_kind = np.select(
        [spike_exit & to_stabilizing, spike_exit, ending],
        [
            KIND_CODE["step_back_to_stabilizing"],
            KIND_CODE["step_back_to_deepening"],
            KIND_CODE["ending"],
        ],
        KIND_CODE["none"],
    )
    spike_review = (deep & single & ~consolidating) | (cons & single)

    # --- Ending: the follow-ups ----------------------------------------------------------------
    base_pos = g.reduce(np.maximum, np.where(sd <= since[sc], g.pos, -1).astype(np.float64), -1.0)
    base_pos = base_pos.astype(np.int64)
    base = take(sx, np.where(has & (base_pos >= 0), g.starts + base_pos, -1), np.nan)
    worse = (base_pos >= 0) & ((latest - base) * sign >= rc)
    check_in = has & (latest_day > since) & usable & (~below_latest | worse)

    kind = np.full(C, KIND_CODE["none"], dtype=np.int64)
    stab = (phase == NO_PHASE) | (phase == PHASE_CODE["stabilizing"])
    kind[stab] = stab_kind[stab]
    threshold = phase == PHASE_CODE["plus_one"]
    kind[threshold] = np.where(
        step_back_threshold[threshold],
        KIND_CODE["step_back_to_stabilizing"],
        KIND_CODE["deepening_or_ending"],
    )
    kind[deep] = deep_kind[deep]
    kind[cons] = cons_kind[cons]
    end = (phase == PHASE_CODE["ending"]) & check_in
    kind[end] = KIND_CODE["check_in_together"]
    consult = (kind == KIND_CODE["spike_exit"]) | (
        cons & (kind == KIND_CODE["step_back_to_stabilizing"])
    )

    # --- declined proposals ----------------------------------------------------------------
    order = sort_rows(cl.dec_client, cl.dec_day)
    dc, dd = cl.dec_client[order], cl.dec_day[order]
    dn, dr, dprop = cl.dec_no_change[order], cl.dec_review[order], cl.dec_proposal[order]
    default_review = dd + policy.decline_review_days
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
    consult &= ~declined

    # --- repair first, and moves awaiting the client -------------------------------------------
    forward = np.isin(kind, [KIND_CODE[k] for k in FORWARD])
    hold = forward & (rupture | (awaiting != NO_PHASE))
    held = np.where(hold, kind, -1)
    kind[hold] = KIND_CODE["none"]

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
        below_window=below_window,
        flat=flat,
        window_range=window_range,
        series_client=sc,
        series_day=sd,
        series_total=sx,
        gain=gain,
        gain_magnitude=magnitude,
        gain_reversal=reversal,
        skipped=skipped,
        since=since,
        awaiting=awaiting,
        awaiting_day=awaiting_day,
        held=held,
        repair_first=rupture,
        consult=consult,
    )


def _shift(x: F, k: int, g: Groups) -> F:
    """x shifted so row i sees row i + k of the same client (NaN outside the client)."""
    out = np.full(len(x), np.nan)
    if k > 0:
        out[:-k] = x[k:]
        ok = g.pos + k < g.n[g.client]
    else:
        out[-k:] = x[: len(x) + k]
        ok = g.pos + k >= 0
    return np.where(ok, out, np.nan)


def _gains(x: F, g: Groups, sign: F, crit1: F) -> tuple[B, F, B]:
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


def _trailing(g: Groups, flag: B) -> I:
    """How many of each client's last rows in a row have ``flag`` set."""
    blocked = np.where(~flag, g.pos, -1).astype(np.float64)
    last_blocked = g.reduce(np.maximum, blocked, -1.0).astype(np.int64)
    return np.where(g.n > 0, g.n - 1 - last_blocked, 0)


def _spikes(
    cl: Caseload,
    g: Groups,
    sx: F,
    sd: I,
    since: I,
    active: B,
    usable: B,
    sign: F,
    rc: F,
    sev_lo: F,
    sev_hi: F,
    C: int,
    t: int,
) -> tuple[I, B, F]:
    """The trailing run of spikes above the phase's baseline, whether it reached the severe
    band, and the highest risk answer since the rise began (``phase_rules.spike``)."""
    zeros = np.zeros(C, dtype=np.int64)
    if len(sx) == 0:
        return zeros, np.zeros(C, dtype=np.bool_), np.zeros(C, dtype=np.float64)
    # Baseline: the last administration on or before the decision, else the first.
    on_before = sd <= since[g.client]
    base_pos = g.reduce(np.maximum, np.where(on_before, g.pos, -1).astype(np.float64), -1.0)
    base_pos = np.maximum(base_pos, 0).astype(np.int64)
    base = take(sx, np.where(g.n > 0, g.starts + base_pos, -1), np.nan)
    eligible = (g.pos > base_pos[g.client]) & (sd > since[g.client])
    spike = eligible & ((sx - base[g.client]) * sign >= rc)
    run = np.where(active & usable, _trailing(g, spike), 0)
    in_rise = g.pos >= (g.n - run)[g.client]
    in_rise &= (run > 0)[g.client]
    severe_row = (sx >= sev_lo[g.client]) & (sx <= sev_hi[g.client])
    severe = g.any(in_rise & severe_row)
    rise_start = take(sd.astype(np.float64), np.where(run > 0, g.ends - run, -1), np.nan)
    risk = lanes.max_risk_from(cl, C, t, rise_start, strict=False)
    return run, severe, np.where(run > 0, risk, 0.0)


def open_flags_for(cl: Caseload, result: BatchResult, client: int) -> list[tuple[str, int]]:
    """The open flags of one client as (item id, grade), oldest first."""
    rows = np.flatnonzero((cl.flag_client == client) & result.open_flag)
    rows = rows[np.argsort(cl.flag_opened[rows], kind="stable")]
    return [(cl.flag_item[i], int(cl.flag_grade[i])) for i in rows]


def day_to_date(day: int) -> date:
    return date.fromordinal(day)


__all__ = [
    "NEVER",
    "NO_PHASE",
    "PHASE_CODE",
    "BatchResult",
    "Caseload",
    "caseload_from_histories",
    "day_to_date",
    "histories_of",
    "open_flags_for",
    "run_batch",
    "timedelta",
]
