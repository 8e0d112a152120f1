"""Traces and questions from the batch arrays, with no ``ClientHistory`` or ``propose`` per client.

``plusone analyze`` writes every client's trace; calling ``propose`` for each
client (and unpacking the caseload into histories first) costs most of its
time. ``Traces`` reads the rows of a ``Caseload`` grouped by client once, takes
every rule result from ``run_batch``'s ``BatchResult``, and writes the same
sentences, in the same order, with the same helpers (``fmt``, ``ordinal``,
``phase_sentences``, ``find_window``) as ``propose`` and ``phase_rules``.

Covered: clients with no agreed phase or in Stabilizing (most of a caseload),
without a "not now" decision, logged ruptures or therapist ratings. For every
other client ``trace`` returns None and the caller asks ``propose``. A property
test holds it to ``propose``'s trace and question, sentence for sentence.
"""

from __future__ import annotations

import functools
import statistics
from collections.abc import Callable, Mapping
from datetime import date

import numpy as np

from plusone.core.alerts import ordinal
from plusone.core.batch import BatchResult
from plusone.core.batch_lanes import sort_rows
from plusone.core.caseload import NO_PHASE, PHASE_CODE, Caseload, I
from plusone.core.history import PHASES, Decision
from plusone.core.lanes import fmt as _fmt
from plusone.core.measure_info import MeasureInfo, effective_infos, growth_points, measure_info
from plusone.core.phase_rules import OBSERVED_CHANGE
from plusone.core.phases import PHASE_NAMES, PhaseNow, current_phase, phase_sentences
from plusone.core.policy import Policy
from plusone.core.propose import KIND_WORDS, KINDS, LANE_WORDS
from plusone.core.trend import find_window

# (trace, question) of one client.
Explained = tuple[tuple[str, ...], str | None]
# Scores repeat across a caseload: each is written once (``lanes.fmt``, remembered).
_fmt_cached = functools.cache(_fmt)


def fmt(x: float) -> str:
    # 0.0 and -0.0 are one key to a cache but are written "0" and "-0": never cache zero.
    return _fmt(x) if x == 0 else _fmt_cached(x)


# Where a sentence goes: the trace's ``append``.
_Say = Callable[[str], None]


class _Grouped:
    """One table's rows in (client, day) order, stable: the order ``propose`` sorts them in.

    ``focus`` narrows it to a span of clients, whose rows are one slice; ``span``
    then gives a client's rows as positions in that slice.
    """

    def __init__(self, client: I, day: I, n_clients: int, keep: np.ndarray | None = None) -> None:
        rows = np.arange(len(client)) if keep is None else np.flatnonzero(keep)
        self.rows = rows[sort_rows(client[rows], day[rows])]
        by = client[self.rows]
        self.starts = np.searchsorted(by, np.arange(n_clients), "left")
        self.ends = np.searchsorted(by, np.arange(n_clients), "right")
        self.first = 0
        self.s: list[int] = []
        self.e: list[int] = []
        self.row_list: list[int] = []

    def focus(self, a: int, b: int) -> slice:
        lo = int(self.starts[a]) if a < b else 0
        hi = int(self.ends[b - 1]) if a < b else 0
        self.first = a
        self.s = (self.starts[a:b] - lo).tolist()
        self.e = (self.ends[a:b] - lo).tolist()
        self.row_list = self.rows[lo:hi].tolist()
        return slice(lo, hi)

    def span(self, i: int) -> range:
        return range(self.s[i - self.first], self.e[i - self.first])


class Traces:
    """Every covered client's trace and question, from the caseload and its batch result.

    Built once (in the parent, before any worker forks); ``explain`` then writes
    a span of clients, turning only that span's rows into Python lists.
    """

    # A span's columns in grouped order, as lists (set by ``explain``).
    sx: list[float]
    sd: list[int]
    gain: list[bool]
    skip_day: list[int]
    grow_inst: list[str]
    grow_day: list[int]
    grow_total: list[float]
    goal_id: list[int]
    goal_version: list[int]
    goal_day: list[int]
    goal_rating: list[float]
    felt_day: list[int]
    felt_holds: list[float]
    felt_stuck: list[float]
    refl_day: list[int]
    refl_items: list[list[float]]
    refl_text: list[bool]
    risk_adm_grade: list[int]
    risk_adm_day: list[int]
    risk_flag_grade: list[int]
    risk_flag_day: list[int]
    mhcsf_day: list[int]
    mhcsf_band: list[bool]
    observed_day: list[int]
    dec_key: list[list[int]]

    def __init__(
        self,
        cl: Caseload,
        result: BatchResult,
        *,
        today: date,
        policy: Policy,
        measures: Mapping[str, MeasureInfo],
    ) -> None:
        self.cl, self.r, self.today, self.policy = cl, result, today, policy
        self.infos = effective_infos(measures, policy)
        C, t = cl.n_clients, today.toordinal()
        self.t = t
        inst = {k: j for j, k in enumerate(cl.instruments)}
        pcode = np.array([inst.get(k, -1) for k in cl.primary], dtype=np.int64)
        # The primary's invalid administrations up to today, which propose skips and names.
        bad = ~cl.adm_valid | np.isnan(cl.adm_total)
        skip = (cl.adm_instrument == pcode[cl.adm_client]) & (cl.adm_day <= t) & bad
        self.skipped = _Grouped(cl.adm_client, cl.adm_day, C, skip)
        growth_codes = [inst[k] for k in policy.growth_instruments if k in inst]
        grow = np.isin(cl.adm_instrument, growth_codes) & (cl.adm_day <= t) & ~bad
        self.growth = _Grouped(cl.adm_client, cl.adm_day, C, grow)
        self.goals = _Grouped(cl.goal_client, cl.goal_day, C, cl.goal_day <= t)
        self.felt = _Grouped(cl.felt_client, cl.felt_day, C, cl.felt_day <= t)
        self.refl = _Grouped(cl.refl_client, cl.refl_day, C, cl.refl_day <= t)
        self.flags = _Grouped(cl.flag_client, cl.flag_opened, C, result.open_flag)
        self.decs = _Grouped(cl.dec_client, cl.dec_day, C)
        self.series = _Grouped(result.series_client, result.series_day, C)
        # Risk answers in each client's row order (``max_risk`` keeps the first highest).
        risky = cl.adm_risk > 0
        self.risk_adm = _Grouped(cl.adm_client, np.zeros_like(cl.adm_day), C, risky)
        self.risk_flag = _Grouped(cl.flag_client, np.zeros_like(cl.flag_opened), C)
        mh = inst.get("mhcsf", -1)
        self.mhcsf = _Grouped(
            cl.adm_client,
            cl.adm_day,
            C,
            (cl.adm_instrument == mh) & cl.adm_valid & (cl.adm_day <= t),
        )
        oc = inst.get(OBSERVED_CHANGE, -1)
        self.observed = _Grouped(
            cl.adm_client,
            cl.adm_day,
            C,
            (cl.adm_instrument == oc) & cl.adm_valid & (cl.adm_day <= t),
        )
        since = result.since
        sess_in = (cl.sess_day >= since[cl.sess_client]) & (cl.sess_day <= t)
        self.sessions: list[int] = np.bincount(cl.sess_client[sess_in], minlength=C).tolist()
        # Who the trace here does not cover: a phase past Deepening, any "not now" decision,
        # logged ruptures or therapist ratings; ``propose`` writes theirs.
        stab = (
            (result.phase == NO_PHASE)
            | (result.phase == PHASE_CODE["stabilizing"])
            | (result.phase == PHASE_CODE["deepening"])
        )
        declines = np.bincount(cl.dec_client[cl.dec_no_change], minlength=C).astype(bool)
        others = np.bincount(cl.tr_client, minlength=C) + np.bincount(cl.rl_client, minlength=C)
        self.covered: list[bool] = (stab & ~declines & (others[:C] == 0)).tolist()
        # Each table's columns in grouped order, so that a client's rows are a slice.
        names = np.array(cl.instruments, dtype=object)
        sr, gr, go = self.series.rows, self.growth.rows, self.goals.rows
        fe, re = self.felt.rows, self.refl.rows
        ra, rf, mr = self.risk_adm.rows, self.risk_flag.rows, self.mhcsf.rows
        self.columns: dict[str, tuple[_Grouped, np.ndarray]] = {
            "sx": (self.series, result.series_total[sr]),
            "sd": (self.series, result.series_day[sr]),
            "gain": (self.series, result.gain[sr]),
            "skip_day": (self.skipped, cl.adm_day[self.skipped.rows]),
            "grow_inst": (self.growth, names[cl.adm_instrument[gr]]),
            "grow_day": (self.growth, cl.adm_day[gr]),
            "grow_total": (self.growth, cl.adm_total[gr]),
            "goal_id": (self.goals, cl.goal_id[go]),
            "goal_version": (self.goals, cl.goal_version[go]),
            "goal_day": (self.goals, cl.goal_day[go]),
            "goal_rating": (self.goals, cl.goal_rating[go]),
            "felt_day": (self.felt, cl.felt_day[fe]),
            "felt_holds": (self.felt, cl.felt_holds[fe]),
            "felt_stuck": (self.felt, cl.felt_stuck[fe]),
            "refl_day": (self.refl, cl.refl_day[re]),
            "refl_items": (self.refl, cl.refl_items[re]),
            "refl_text": (self.refl, cl.refl_text[re]),
            "risk_adm_grade": (self.risk_adm, cl.adm_risk[ra]),
            "risk_adm_day": (self.risk_adm, cl.adm_day[ra]),
            "risk_flag_grade": (self.risk_flag, cl.flag_grade[rf]),
            "risk_flag_day": (self.risk_flag, cl.flag_opened[rf]),
            "mhcsf_day": (self.mhcsf, cl.adm_day[mr]),
            "mhcsf_band": (self.mhcsf, cl.adm_flourishing[mr]),
            "observed_day": (self.observed, cl.adm_day[self.observed.rows]),
            # Each decision as (phase, day, awaiting, confirmed): what ``current_phase`` reads.
            "dec_key": (
                self.decs,
                np.stack(
                    [
                        cl.dec_phase[self.decs.rows],
                        cl.dec_day[self.decs.rows],
                        cl.dec_awaiting[self.decs.rows].astype(np.int64),
                        cl.dec_confirmed[self.decs.rows],
                    ],
                    axis=1,
                ),
            ),
        }
        self.groups = (
            self.skipped,
            self.growth,
            self.goals,
            self.felt,
            self.refl,
            self.flags,
            self.decs,
            self.series,
            self.risk_adm,
            self.risk_flag,
            self.mhcsf,
            self.observed,
        )
        self.dates: dict[int, str] = {}
        self.no_phase = phase_sentences(current_phase((), today))
        self._info_lines: dict[str, tuple[MeasureInfo, list[str]]] = {}
        self._phases: dict[tuple[tuple[int, ...], ...], tuple[PhaseNow, list[str]]] = {}

    def explain(self, start: int, stop: int) -> list[Explained | None]:
        """The traces and questions of clients [start, stop); None for each one not covered."""
        cuts = {id(g): g.focus(start, stop) for g in self.groups}
        for name, (group, values) in self.columns.items():
            setattr(self, name, values[cuts[id(group)]].tolist())
        return [self.trace(i) for i in range(start, stop)]

    def _date(self, day: int) -> str:
        iso = self.dates.get(day)
        if iso is None:
            iso = self.dates[day] = date.fromordinal(day).isoformat()
        return iso

    def _info(self, key: str) -> tuple[MeasureInfo, list[str]]:
        """The primary's parameters and the sentences that state them (alike for all clients)."""
        got = self._info_lines.get(key)
        if got is None:
            info = self.infos.get(key) or MeasureInfo(key=key, title=key)
            lines = []
            if info.rc_points is None:
                lines.append(
                    f"{info.title} has no RC parameters: reliable-change criteria are unknown."
                )
            else:
                source = f" ({info.rc_source})" if info.rc_source else ""
                lines.append(f"{info.title} reliable change: ≥ {info.rc_points} points{source}.")
            if info.cutoff is None:
                lines.append(f"{info.title} has no cutoff: cutoff criteria are unknown.")
            got = self._info_lines[key] = (info, lines)
        return got

    def trace(self, i: int) -> Explained | None:
        """Client ``i``'s trace and question as ``propose`` gives them; None when not covered.

        ``i`` must be in the span of the last ``explain``."""
        if not self.covered[i]:
            return None
        cl, r, policy, t = self.cl, self.r, self.policy, self.t
        out: list[str] = []
        say = out.append
        # --- the agreed phase ------------------------------------------------------------
        decs = self.decs.span(i)
        if len(decs):
            now, sentences = self._phase(tuple(tuple(self.dec_key[j]) for j in decs))
            out.extend(sentences)
        else:
            now = None
            out.extend(self.no_phase)
        phase = None if now is None else now.phase
        # --- the primary series ----------------------------------------------------------
        key = cl.primary[i]
        info, info_lines = self._info(key)
        for j in self.skipped.span(i):
            day = self.skip_day[j]
            say(f"Skipped an invalid {info.title} administration on {self._date(day)}.")
        out.extend(info_lines)
        span = self.series.span(i)
        scores = self.sx[span.start : span.stop]
        days = self.sd[span.start : span.stop]
        n = len(scores)
        known = n > 0 and t - days[-1] <= policy.lane_max_age_days
        if n == 0:
            say(f"{info.title}: no valid administrations yet.")
        else:
            say(
                f"{info.title}: {n} administration(s); intake {fmt(scores[0])} on "
                f"{self._date(days[0])}, latest {fmt(scores[-1])} on {self._date(days[-1])}."
            )
            if not known:
                say(
                    f"{info.title}: unknown (no administration in the last "
                    f"{policy.lane_max_age_weeks} weeks); symptom rules and alerts cannot match."
                )
        rc, cutoff, sign = info.rc_points, info.cutoff, info.sign
        usable = known and rc is not None and cutoff is not None
        improved = flat = below_window = False
        window_days = 0
        if usable and rc is not None and cutoff is not None:
            intake, last = scores[0], scores[-1]
            change = (intake - last) * sign
            improved = change >= rc
            if n >= 2:
                verb = "fell" if last < intake else "rose" if last > intake else "stayed at"
                quality = (
                    f"reliable: ≥ {rc} points"
                    if abs(change) >= rc
                    else f"not reliable: < {rc} points"
                )
                say(f"{info.title} {verb} {fmt(intake)} → {fmt(last)} ({quality}).")
            window = find_window(days, k=policy.k, min_days=policy.window_days)
            if window is None:
                reason = (
                    f"no full window yet: {n} administration(s) over {days[-1] - days[0]} days; "
                    f"flat needs at least {policy.k} spanning at least {policy.window_days} days"
                )
            else:
                start = window.start
                held = scores[start:]
                window_days = days[-1] - days[start]
                below_window = all(info.below_cutoff(x) for x in held)
                listed = ", ".join(fmt(x) for x in held)
                say(
                    f"{info.title} {'below' if below_window else 'not below'} cutoff "
                    f"{fmt(cutoff)} on every administration of the window ({listed}; "
                    f"{window_days} days)."
                )
                lo, hi = min(held), max(held)
                spread = hi - lo
                # A sudden gain at N touches the window when its N + 1 is in it.
                touched = any(self.gain[span.start + p] for p in range(max(start - 1, 0), n))
                if touched:
                    reason = (
                        f"not flat: a sudden gain falls in the last {len(held)} administrations "
                        f"({window_days} days)"
                    )
                else:
                    flat = spread < rc
                    reason = (
                        f"{'flat' if flat else 'not flat'}: the last {len(held)} administrations "
                        f"({window_days} days) range {lo:g}-{hi:g}, {spread:g} points, "
                        f"{'below the' if flat else 'at least the'} {float(rc):g} RC points"
                    )
            say(f"{info.title}: {reason}.")
            self._symptom_alerts(scores, info, rc, cutoff, say)
        self._rupture(i, say)
        for j in self.flags.span(i):
            row = self.flags.row_list[j]
            say(
                f"Risk: open flag ({cl.instruments[int(cl.flag_instrument[row])]} "
                f"{cl.flag_item[row]}, grade {int(cl.flag_grade[row])}) since "
                f"{self._date(int(cl.flag_opened[row]))}."
            )
        below_now = usable and n > 0 and cutoff is not None and info.below_cutoff(scores[-1])
        words = LANE_WORDS.get(key, info.title)
        if phase == "deepening":
            assert now is not None and now.since is not None
            kind, question = self._deepening(
                i, now.since.toordinal(), scores, days, info, usable, words, say
            )
        else:
            kind, question = self._stabilizing(
                i,
                phase,
                scores,
                info,
                usable=usable,
                improved=improved,
                flat=flat,
                below_window=below_window,
                below_now=below_now,
                window_days=window_days,
                words=words,
                say=say,
            )
        # The batch decided the same rules; a difference means a sentence here is wrong.
        held_code = int(r.held[i])
        if kind != (KINDS[held_code] if held_code >= 0 else r.kind_name(i)):
            return None
        if held_code >= 0:
            if bool(r.repair_first[i]):
                say(
                    f"Repair first: a possible rupture is open, so the {KIND_WORDS[kind]} "
                    "proposal is held until a repair is logged."
                )
            else:
                assert now is not None and now.awaiting is not None
                say(
                    f"The {KIND_WORDS[kind]} proposal is held while "
                    f"{PHASE_NAMES[now.awaiting.phase]} awaits the client's confirmation."
                )
            kind, question = "none", None
        say(f"Proposal: {KIND_WORDS[kind]}.")
        return tuple(out), question

    def _phase(self, key: tuple[tuple[int, ...], ...]) -> tuple[PhaseNow, list[str]]:
        """``current_phase`` and its sentences, once per distinct list of decisions."""
        got = self._phases.get(key)
        if got is None:
            decisions = [
                Decision(
                    None if ph < 0 else PHASES[ph],
                    date.fromordinal(day),
                    kind="change",
                    awaiting=bool(awaiting),
                    confirmed_on=None if conf < 0 else date.fromordinal(conf),
                )
                for ph, day, awaiting, conf in key
            ]
            now = current_phase(decisions, self.today)
            got = self._phases[key] = (now, phase_sentences(now))
        return got

    def _symptom_alerts(
        self, s: list[float], info: MeasureInfo, rc: float, cutoff: float, say: _Say
    ) -> None:
        """``alerts.symptom_alerts``'s sentences."""
        policy, sign, n = self.policy, info.sign, len(s)
        intake, last = s[0], s[-1]
        improvement = (intake - last) * sign
        if (
            n >= policy.not_progressing_from
            and not info.below_cutoff(intake)
            and improvement < rc
            and not info.below_cutoff(last)
        ):
            say(
                f"Alert not progressing: {ordinal(n)} administration, intake {fmt(intake)} ≥ "
                f"{fmt(cutoff)}, change {fmt(improvement)} < {rc} points, latest {fmt(last)} ≥ "
                f"{fmt(cutoff)}."
            )
        if n >= 2 and not info.below_cutoff(last):
            lookback = s[max(0, n - 1 - policy.deterioration_lookback) : n - 1]
            best = max(lookback, key=lambda x: -x * sign)
            if (last - intake) * sign >= rc:
                say(
                    f"Alert deterioration: {info.title} rose {fmt(intake)} → {fmt(last)} from "
                    f"intake (reliable: ≥ {rc} points), at or above cutoff {fmt(cutoff)}."
                )
            elif (last - best) * sign >= rc:
                say(
                    f"Alert deterioration: {info.title} {fmt(last)} is ≥ {rc} points worse than "
                    f"the best ({fmt(best)}) of the {len(lookback)} before it, at or above cutoff "
                    f"{fmt(cutoff)}."
                )

    def _rupture(self, i: int, say: _Say) -> None:
        """``alerts.possible_rupture``'s sentences (no rupture logs, no therapist ratings)."""
        span = self.refl.span(i)
        if not len(span):
            return
        policy = self.policy
        rows = list(span)
        last = rows[-1]
        last_day = self.refl_day[last]
        if self.t - last_day > policy.lane_max_age_days:
            say(
                f"Session Reflection: unknown (none in the last {policy.lane_max_age_weeks} weeks)."
            )
            return
        items = [x for x in self.refl_items[last] if x == x]
        reasons: list[str] = []
        low = [x for x in items if x <= policy.rupture_item_max]
        if low:
            reasons.append(f"an item at {fmt(min(low))} ≤ {fmt(policy.rupture_item_max)}")
        if self.refl_text[last]:
            reasons.append("'Anything that didn't sit right today?' answered")
        if len(rows) >= policy.rupture_relative_from and items:
            score = sum(items) / len(items)
            previous = []
            for row in rows[-1 - policy.rupture_median_of : -1]:
                xs = [x for x in self.refl_items[row] if x == x]
                if xs:
                    previous.append(sum(xs) / len(xs))
            if previous:
                med = statistics.median(previous)
                if score <= med - policy.rupture_drop:
                    reasons.append(
                        f"score {score:.1f} ≤ median {fmt(med)} of the previous {len(previous)} "
                        f"minus {fmt(policy.rupture_drop)}"
                    )
        if reasons:
            say(
                f"Alert possible rupture: Session Reflection on {self._date(last_day)}: "
                + "; ".join(reasons)
                + "."
            )

    def _goals(self, i: int, say: _Say) -> tuple[bool, float | None, bool | None]:
        """``lanes.goals``: known, the mean, reliably up (labels and positions are not kept)."""
        policy, span = self.policy, self.goals.span(i)
        if not len(span):
            say("Goals: unknown (no goal ratings).")
            return False, None, None
        rows = list(span)
        ids = self.goal_id[span.start : span.stop]
        vers = self.goal_version[span.start : span.stop]
        if min(vers) != max(vers):
            # Only the current version's ratings count (a reworded goal starts again).
            current: dict[int, int] = {}
            for g, v in zip(ids, vers, strict=True):
                current[g] = max(current.get(g, v), v)
            keep = [j for j, (g, v) in enumerate(zip(ids, vers, strict=True)) if v == current[g]]
            rows, ids = [rows[j] for j in keep], [ids[j] for j in keep]
        # In order of first appearance; the latest row of each goal, and its first.
        latest = dict(zip(ids, rows, strict=True))
        first = dict(zip(reversed(ids), reversed(rows), strict=True))
        newest = max(self.goal_day[row] for row in latest.values())
        if self.t - newest > policy.lane_max_age_days:
            say(
                f"Goals: unknown (no rating in the last {policy.lane_max_age_weeks} weeks; "
                f"latest {self._date(newest)})."
            )
            return False, None, None
        order = sorted(latest, key=lambda k: self.goal_day[first[k]])
        rating = self.goal_rating
        m = sum(rating[latest[k]] for k in order) / len(order)
        m0 = sum(rating[first[k]] for k in order) / len(order)
        listed = ", ".join(f"'goal {j}' {fmt(rating[latest[k]])}" for j, k in enumerate(order, 1))
        say(
            f"Goals: {listed}; mean {m:.1f} {'≥' if m >= policy.goal_mark else '<'} "
            f"{fmt(policy.goal_mark)}."
        )
        up = m - m0 >= policy.goal_rc_points
        say(
            f"Goals moved {m0:.1f} → {m:.1f} since the first ratings "
            f"({'reliably up' if up else 'not reliably up'}: ≥ {fmt(policy.goal_rc_points)} "
            "points)."
        )
        return True, m, up

    def _growth(self, i: int, say: _Say, since: int | None = None) -> tuple[bool, bool]:
        """``lanes.growth``: from the first administration, or the baseline of ``since``."""
        policy = self.policy
        span = self.growth.span(i)
        rows = list(span)
        known = up_any = down_any = False
        for key in policy.growth_instruments:
            series = [row for row in rows if self.grow_inst[row] == key]
            if not series:
                continue
            info = self.infos.get(key) or measure_info(key)
            points, label = growth_points(key, info, policy)
            if points is None:
                say(f"Growth: {info.title} has no RC parameters and does not count.")
                continue
            base_i = _baseline([self.grow_day[row] for row in series], since)
            if len(series) - base_i < 2:
                say(f"Growth: {info.title} has fewer than 2 administrations to compare.")
                continue
            latest = self.grow_day[series[-1]]
            if self.t - latest > policy.lane_max_age_days:
                say(
                    f"Growth: {info.title}'s latest is from {self._date(latest)}, older than "
                    f"{policy.lane_max_age_weeks} weeks; it does not count."
                )
                continue
            known = True
            base, last = self.grow_total[series[base_i]], self.grow_total[series[-1]]
            change = (base - last) * info.sign
            if change >= points:
                up_any = True
                verdict = "reliably up" if not label else "up"
            elif -change >= points:
                down_any = True
                verdict = "reliably down" if not label else "down"
            else:
                verdict = "not reliable" if not label else "not changed enough"
            rule = label or f"≥ {points} points"
            say(f"Growth: {info.title} {fmt(base)} → {fmt(last)} ({verdict}: {rule}).")
        if not known:
            say(
                "Growth: unknown (no growth measure with RC parameters has 2 administrations "
                f"with the latest in the last {policy.lane_max_age_weeks} weeks)."
            )
            return False, False
        if up_any and down_any:
            say("Growth: not reliably up, because another growth measure is reliably down.")
        return True, up_any and not down_any

    def _max_risk(self, i: int, start: int) -> tuple[int, int]:
        """``phase_rules.max_risk`` from ``start`` (inclusive) to today: the grade and its day."""
        best, day = 0, -1
        for j in self.risk_adm.span(i):
            d = self.risk_adm_day[j]
            if self.risk_adm_grade[j] > best and start <= d <= self.t:
                best, day = self.risk_adm_grade[j], d
        for j in self.risk_flag.span(i):
            d = self.risk_flag_day[j]
            if self.risk_flag_grade[j] > best and start <= d <= self.t:
                best, day = self.risk_flag_grade[j], d
        return best, day

    def _spike(
        self,
        i: int,
        since: int,
        s: list[float],
        days: list[int],
        info: MeasureInfo,
        usable: bool,
        phase_name: str,
        say: _Say,
    ) -> tuple[int, list[str]]:
        """``phase_rules.spike``: the trailing run of spikes and the exit conditions it meets."""
        policy = self.policy
        rc, cutoff, sign = info.rc_points, info.cutoff, info.sign
        if not usable or rc is None or cutoff is None or not s:
            return 0, []
        base_i = _baseline(days, since)
        base = s[base_i]
        after = [j for j in range(base_i + 1, len(s)) if days[j] > since]
        run = 0
        for j in reversed(after):
            if (s[j] - base) * sign < rc:
                break
            run += 1
        if not run:
            return 0, []
        first = len(s) - run
        say(
            f"Spike: {info.title} {fmt(s[-1])} is ≥ {rc} points above the {phase_name} baseline "
            f"{fmt(base)} ({run} in a row, since {self._date(days[first])})."
        )
        reasons = []
        if run >= policy.spike_lasts:
            reasons.append(f"lasted {run} administrations")
        in_a_row = policy.spike_above_cutoff_in_a_row
        if run >= in_a_row and all(not info.below_cutoff(x) for x in s[-in_a_row:]):
            reasons.append(f"at or above cutoff {fmt(cutoff)} {in_a_row} times in a row")
        severe = [x for x in s[first:] if info.in_severe(x)]
        if severe:
            reasons.append(f"reached the severe band ({fmt(max(severe, key=lambda x: x * sign))})")
        grade, day = self._max_risk(i, days[first])
        if grade > 0 and day >= 0:
            reasons.append(f"with a risk answer of grade {grade} on {self._date(day)}")
        return run, reasons

    def _deepening(
        self,
        i: int,
        since: int,
        s: list[float],
        days: list[int],
        info: MeasureInfo,
        usable: bool,
        words: str,
        say: _Say,
    ) -> tuple[str, str | None]:
        """``phase_rules.deepening``'s sentences, kind and question."""
        policy = self.policy
        run, reasons = self._spike(i, since, s, days, info, usable, "Deepening", say)
        if reasons:
            say("Spike exit: " + "; ".join(reasons) + ". Suggest a medical or psychiatric consult.")
            return (
                "spike_exit",
                f"{words} has risen lately. Would it help to step back from the deeper work "
                "for now, find steadier ground again, and check in with a doctor?",
            )
        if run:
            say("Spike: review (a single spike that meets no exit condition).")
        # Consolidating (S2): every term must hold.
        run_n = run_days = 0
        if usable and info.cutoff is not None:
            for x in reversed(s):
                if not info.below_cutoff(x):
                    break
                run_n += 1
            run_days = days[-1] - days[-run_n] if run_n else 0
        below_ok = (
            run_n >= policy.consolidating_min_admins and run_days >= policy.consolidating_days
        )
        say(
            f"Below cutoff: unbroken run of {run_n} administration(s) over {run_days} days "
            f"({'≥' if below_ok else 'short of'} {policy.consolidating_weeks} weeks and "
            f"{policy.consolidating_min_admins} administrations)."
        )
        _gr_known, gr_up = self._growth(i, say, since)
        mhcsf = self._mhcsf_twice(i, say)
        span = self.felt.span(i)
        felt = [j for j in span if since <= self.felt_day[j]][-2:]
        holds = [self.felt_holds[j] for j in felt]
        felt_ok = (
            len(felt) == 2
            and self.t - self.felt_day[felt[-1]] <= policy.lane_max_age_days
            and all(x == x and x >= policy.felt_change_holds_mark for x in holds)
        )
        shown = ", ".join(fmt(x) if x == x else "–" for x in holds)
        say(
            f"Felt Change 'holds' on the last two checks in Deepening: {shown or 'none'} "
            f"({'both' if felt_ok else 'not both'} ≥ {fmt(policy.felt_change_holds_mark)})."
        )
        g_known, g_mean, g_up = self._goals(i, say)
        goals_ok = g_known and ((g_mean is not None and g_mean >= policy.goal_mark) or bool(g_up))
        sessions = self.sessions[i]
        sessions_ok = sessions >= policy.deepening_min_sessions
        say(
            f"Sessions in Deepening: {sessions} ({'≥' if sessions_ok else '<'} "
            f"{policy.deepening_min_sessions})."
        )
        ok = below_ok and (gr_up or mhcsf) and felt_ok and goals_ok and sessions_ok
        say(f"Consolidating rule: {'met' if ok else 'not met'}.")
        rounds = [j for j in self.observed.span(i) if self.observed_day[j] >= since]
        if not rounds:
            say("Observers: no round in Deepening (neither for nor against).")
        else:
            # A caseload keeps no observer answers: the latest round has no ratings to read.
            say(
                "Observers: the latest round in Deepening "
                f"({self._date(self.observed_day[rounds[-1]])}) has no ratings."
            )
        if ok:
            return (
                "consolidating",
                "Much of what you wanted to be different seems to be holding. Is it time to talk "
                "together about moving on to living it, with more space between sessions?",
            )
        return "none", None

    def _mhcsf_twice(self, i: int, say: _Say) -> bool:
        """``phase_rules._mhcsf_twice``: the last two MHC-SF flourishing, far enough apart."""
        last_two = list(self.mhcsf.span(i))[-2:]
        if len(last_two) < 2:
            return False
        policy = self.policy
        a, b = last_two
        apart = self.mhcsf_day[b] - self.mhcsf_day[a]
        ok = (
            self.mhcsf_band[a]
            and self.mhcsf_band[b]
            and apart >= policy.mhcsf_min_days_apart
            and self.t - self.mhcsf_day[b] <= policy.lane_max_age_days
        )
        bands = ["flourishing" if self.mhcsf_band[j] else "–" for j in last_two]
        say(
            f"MHC-SF: last two {bands[0]}, {bands[1]}, {apart} days apart "
            f"({'flourishing twice' if ok else 'not flourishing twice'})."
        )
        return ok

    def _stabilizing(
        self,
        i: int,
        phase: str | None,
        s: list[float],
        info: MeasureInfo,
        *,
        usable: bool,
        improved: bool,
        flat: bool,
        below_window: bool,
        below_now: bool,
        window_days: int,
        words: str,
        say: _Say,
    ) -> tuple[str, str | None]:
        """``phase_rules.stabilizing``'s sentences, kind and question."""
        from plusone.core.phase_rules import _count, _nth, _weeks

        policy, n = self.policy, len(s)
        g_known, g_mean, g_up = self._goals(i, say)
        span = self.felt.span(i)
        felt = span.stop - 1 if len(span) else -1
        felt_known = felt >= 0 and self.t - self.felt_day[felt] <= policy.lane_max_age_days
        holds = self.felt_holds[felt] if felt >= 0 else float("nan")
        stuck = self.felt_stuck[felt] if felt >= 0 else float("nan")
        holds_known = felt_known and holds == holds
        stuck_known = felt_known and stuck == stuck
        if felt_known:
            if holds_known:
                cmp = "≥" if holds >= policy.felt_change_holds_mark else "<"
                say(f"Felt Change 'holds' {fmt(holds)} {cmp} {fmt(policy.felt_change_holds_mark)}.")
            if stuck_known:
                low = stuck <= policy.stuckness_low_max
                say(
                    f"Stuckness 'my life feels stuck' {fmt(stuck)} "
                    f"{'≤' if low else '>'} {fmt(policy.stuckness_low_max)} "
                    f"({'low' if low else 'not low'})."
                )
        else:
            say(f"Felt Change: unknown (none in the last {policy.lane_max_age_weeks} weeks).")
        gr_known, gr_up = self._growth(i, say)
        sym = usable and below_window and flat
        goals_low = g_known and g_mean is not None and g_mean < policy.goal_mark
        goals_met = g_known and g_mean is not None and g_mean >= policy.goal_mark
        holds_low = holds_known and holds < policy.felt_change_holds_mark
        growth_not_up = gr_known and not gr_up
        unmet = goals_low or holds_low or growth_not_up
        stuck_low = stuck_known and stuck <= policy.stuckness_low_max
        plus_one = sym and unmet
        good_enough = sym and goals_met and stuck_low
        stalled = usable and improved and not below_now and flat
        intake_route = False
        prior = bool(self.cl.prior_therapy[i])
        if phase is None and usable and info.cutoff is not None and n >= 1:
            all_below = all(info.below_cutoff(x) for x in s)
            if n < policy.intake_route_from:
                if all_below and prior:
                    say(
                        f"{_count(n)}: nothing beyond Stabilizing yet; the intake route can "
                        f"still apply (every administration so far below cutoff, prior therapy "
                        f"recorded; it starts at the {_nth(policy.intake_route_from)})."
                    )
                else:
                    why = (
                        "no prior therapy recorded"
                        if all_below
                        else "an administration at or above cutoff"
                    )
                    say(
                        f"{_count(n)}: nothing beyond Stabilizing yet; the intake route cannot "
                        f"apply ({why})."
                    )
            else:
                intake_route = all_below and prior and goals_low
                say(
                    f"Intake route: {'every' if all_below else 'not every'} administration so "
                    f"far below cutoff ({', '.join(fmt(x) for x in s)}), prior therapy "
                    f"{'recorded' if prior else 'not recorded'}, goals "
                    f"{'unmet' if goals_low else 'not known to be unmet'}: "
                    f"{'met' if intake_route else 'not met'}."
                )
        terms = []
        if goals_low:
            terms.append(f"goals < {fmt(policy.goal_mark)}")
        if holds_low:
            terms.append(f"Felt Change 'holds' < {fmt(policy.felt_change_holds_mark)}")
        if growth_not_up:
            terms.append("growth not reliably up")
        short = "short of its mark: " + ", ".join(terms) if unmet else "not known to be short"
        say(
            f"+1 threshold rule: {'met' if plus_one else 'not met'} (symptom rule "
            f"{'met' if sym else 'not met'}; own words or growth {short})."
        )
        say(
            f"Good-enough ending rule: {'met' if good_enough else 'not met'} (symptom rule "
            f"{'met' if sym else 'not met'}; goals {'' if goals_met else 'not known to be '}"
            f"≥ {fmt(policy.goal_mark)}; "
            f"stuckness {'low' if stuck_low else 'not known to be low'})."
        )
        say(f"Stalled rule: {'met' if stalled else 'not met'}.")
        held = _weeks(window_days)
        if plus_one or intake_route:
            if plus_one and good_enough:
                say(
                    "Both +1 and good-enough ending match: one question with both as equal options."
                )
                return (
                    "plus_one",
                    f"{words} has eased and held for {held}. Is it time to talk together about "
                    "what you want next: deeper work, or finishing well here as good enough?",
                )
            second = (
                "Your goals haven't moved."
                if goals_low and g_up is False
                else "Your goals aren't where you want them yet."
                if goals_low
                else "The change doesn't yet feel like it holds."
                if holds_low
                else "Life satisfaction hasn't shifted much."
            )
            if intake_route and not plus_one:
                return (
                    "plus_one",
                    f"{words} is not in the higher range, and you've had therapy before. "
                    f"{second} Is it time to talk together about what you want from this time?",
                )
            return (
                "plus_one",
                f"{words} has eased and held for {held}. {second} "
                "Is it time to talk together about what you want next?",
            )
        if good_enough:
            return (
                "good_enough_ending",
                f"{words} has eased and held for {held}, and your goals are close to where you "
                "wanted them. Is this a good place to finish well, or is there more you want "
                "from this work?",
            )
        if stalled:
            return (
                "stalled_review",
                f"{words} has eased since you started, and has stayed about the same lately. "
                "Is it time to look together at what might help next?",
            )
        if phase is None and n >= 1:
            return (
                "stabilizing",
                "For now, would it help to agree together that the work is about finding "
                "steadier ground?",
            )
        return "none", None


def _baseline(days: list[int], since: int | None) -> int:
    """``lanes.baseline_index`` on day numbers: the last on or before ``since``, else the first."""
    if since is None:
        return 0
    before = [j for j, d in enumerate(days) if d <= since]
    return before[-1] if before else 0


__all__ = ["Explained", "Traces"]
