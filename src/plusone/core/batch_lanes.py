"""The lanes and the rupture alert of ``plusone.core.batch``, across all clients at once.

Each function computes, with numpy and no Python loop over rows, what
``plusone.core.lanes`` and ``plusone.core.alerts`` compute for one client.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from plusone.core.caseload import B, Caseload, F, I


class Groups:
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


def sort_rows(client: I, day: I, *extra: I) -> I:
    """Stable order by (client, day, *extra); free when the rows are already in order."""
    if not len(client):
        return np.zeros(0, dtype=np.int64)
    if extra:
        return np.lexsort([*reversed(extra), day, client])
    key = client * (1 << 32) + (day - day.min())
    if bool(np.all(key[1:] >= key[:-1])):
        return np.arange(len(key), dtype=np.int64)
    return np.argsort(key, kind="stable")


def take(values: npt.NDArray[np.generic], idx: I, fill: float) -> F:
    out = np.full(len(idx), fill, dtype=np.float64)
    ok = idx >= 0
    out[ok] = values[idx[ok]]
    return out


def row_means(items: F) -> tuple[F, F, npt.NDArray[np.intp]]:
    """Each row's mean and minimum of the items present (NaN with none), and the count present."""
    present = ~np.isnan(items)
    z = np.where(present, items, 0.0)
    cnt = present.sum(axis=1)
    with np.errstate(all="ignore"):
        # Left-to-right sums, as the per-client code adds them.
        total = z[:, 0].copy()
        for j in range(1, z.shape[1]):
            total += z[:, j]
        mean = np.where(cnt > 0, total / cnt, np.nan)
        low = np.where(cnt > 0, np.min(np.where(present, items, np.inf), axis=1), np.nan)
    return mean, low, cnt


def rupture(cl: Caseload, C: int, t: int, max_age: int, policy_values: dict[str, float]) -> B:
    """Possible rupture open now (``plusone.core.alerts.possible_rupture``), per client."""
    item_max = policy_values["rupture_item_max"]
    drop = policy_values["rupture_drop"]
    m = int(policy_values["rupture_median_of"])
    relative_from = int(policy_values["rupture_relative_from"])
    gap = policy_values["congruence_gap"]
    # Logged ruptures: open unless the latest repair (up to today) is on or after them.
    logs = cl.rl_day <= t
    repair_day = np.full(C, -1, dtype=np.int64)
    rep = logs & cl.rl_repair
    if rep.any():
        np.maximum.at(repair_day, cl.rl_client[rep], cl.rl_day[rep])
    rup = logs & ~cl.rl_repair
    logged_open = (
        np.bincount(cl.rl_client[rup][cl.rl_day[rup] > repair_day[cl.rl_client[rup]]], minlength=C)
        > 0
    )

    order = sort_rows(cl.refl_client, cl.refl_day)
    keep = order[cl.refl_day[order] <= t]
    rc_, rd = cl.refl_client[keep], cl.refl_day[keep]
    items, text = cl.refl_items[keep], cl.refl_text[keep]
    mean, low, _ = row_means(items)
    g = Groups(rc_, C)
    has = g.n > 0
    li = g.last_index()
    last_day = take(rd.astype(np.float64), li, -1e18)
    fresh = has & (t - last_day <= max_age)
    lmean, lmin = take(mean, li, np.nan), take(low, li, np.nan)
    ltext = take(text.astype(np.float64), li, 0) > 0
    absolute = (lmin <= item_max) | ltext
    # The congruence gap: the therapist's last rating on the reflection's day, item by item.
    absolute |= _gap(cl, C, t, li, items, last_day, gap)
    prev = np.full((C, m), np.nan)
    for back in range(1, m + 1):
        idx = np.where(g.n - 1 - back >= 0, g.ends - 1 - back, -1)
        prev[:, m - back] = take(mean, idx, np.nan)
    # Median of the present values: sorting puts NaN last, then take the middle one or two.
    ordered = np.sort(prev, axis=1)
    k = (~np.isnan(prev)).sum(axis=1)
    any_prev = k > 0
    lo = np.take_along_axis(ordered, np.maximum((k - 1) // 2, 0)[:, None], axis=1)[:, 0]
    hi = np.take_along_axis(ordered, np.maximum(k // 2, 0)[:, None], axis=1)[:, 0]
    med = np.where(any_prev, (lo + hi) / 2, np.nan)
    relative = (g.n >= relative_from) & ~np.isnan(lmean) & any_prev & (lmean <= med - drop)
    # A repair logged on or after the reflection's day resolves its signals.
    resolved = repair_day >= last_day
    signalled: B = fresh & (absolute | relative) & ~resolved
    out: B = logged_open | signalled
    return out


def _gap(cl: Caseload, C: int, t: int, li: I, items: F, last_day: F, gap: float) -> B:
    out = np.zeros(C, dtype=np.bool_)
    if not len(cl.tr_client):
        return out
    sel = np.flatnonzero(cl.tr_day <= t)
    if not len(sel):
        return out
    sel = sel[sort_rows(cl.tr_client[sel], cl.tr_day[sel])]
    tc, td = cl.tr_client[sel], cl.tr_day[sel]
    # The last therapist rating of each (client, day).
    last_of_day = np.append((tc[1:] != tc[:-1]) | (td[1:] != td[:-1]), True)
    sel, tc, td = sel[last_of_day], tc[last_of_day], td[last_of_day]
    match = td == last_day[tc]
    rows, clients = sel[match], tc[match]
    ok = li[clients] >= 0
    rows, clients = rows[ok], clients[ok]
    client_items = items[li[clients]]
    with np.errstate(invalid="ignore"):
        diff = cl.tr_items[rows] - client_items
    hit = np.any(diff >= gap, axis=1)
    out[clients[hit]] = True
    return out


def goals(cl: Caseload, C: int, t: int, max_age: int, mark: float, rc: float) -> tuple[B, F, B]:
    sel = np.flatnonzero(cl.goal_day <= t)
    known = np.zeros(C, dtype=np.bool_)
    mean = np.full(C, np.nan)
    up = np.zeros(C, dtype=np.bool_)
    if len(sel) == 0:
        return known, mean, up
    # Key each (client, goal) pair; order by pair, then day (stable).
    n_goals = int(cl.goal_id[sel].max()) + 1
    pair = cl.goal_client[sel] * n_goals + cl.goal_id[sel]
    sel = sel[sort_rows(pair, cl.goal_day[sel])]
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
    up = known & (mean - mean0 >= rc)
    return known, mean, up


def latest_felt(cl: Caseload, C: int, t: int, max_age: int) -> tuple[F, F, B]:
    order = sort_rows(cl.felt_client, cl.felt_day)
    keep = order[cl.felt_day[order] <= t]
    g = Groups(cl.felt_client[keep], C)
    li = g.last_index()
    day = take(cl.felt_day[keep].astype(np.float64), li, -1e18)
    known = (li >= 0) & (t - day <= max_age)
    return take(cl.felt_holds[keep], li, np.nan), take(cl.felt_stuck[keep], li, np.nan), known


def felt_two_checks(cl: Caseload, C: int, t: int, since: I, max_age: int, mark: float) -> B:
    order = sort_rows(cl.felt_client, cl.felt_day)
    fc, fd = cl.felt_client[order], cl.felt_day[order]
    keep = order[(fd >= since[fc]) & (fd <= t) & (since[fc] >= 0)]
    g = Groups(cl.felt_client[keep], C)
    li = g.last_index()
    pi = np.where(g.n >= 2, g.ends - 2, -1)
    h1, h2 = take(cl.felt_holds[keep], li, np.nan), take(cl.felt_holds[keep], pi, np.nan)
    day = take(cl.felt_day[keep].astype(np.float64), li, -1e18)
    return (g.n >= 2) & (t - day <= max_age) & (h1 >= mark) & (h2 >= mark)


def growth(
    cl: Caseload, C: int, t: int, max_age: int, codes: list[int], since: I, points: F, sign: F
) -> tuple[B, B]:
    """Growth known and growth reliably up; each measure's age is judged on its own.

    ``points`` (per instrument code) is the change a growth measure must show,
    NaN for one without RC parameters (which never counts).
    """
    lane = np.isin(cl.adm_instrument, codes) & (cl.adm_day <= t) & cl.adm_valid
    lane &= ~np.isnan(cl.adm_total)
    idx = np.flatnonzero(lane)
    idx = idx[~np.isnan(points[cl.adm_instrument[idx]])]
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
    last_i = start + count - 1
    counts = (count - base_pos >= 2) & (t - day[last_i] <= max_age)
    base = x[start + base_pos]
    last = x[last_i]
    u_inst = inst[start]
    u_client = client[start]
    change = (base - last) * sign[u_inst]
    pts = points[u_inst]
    upu = counts & (change >= pts)
    downu = counts & (-change >= pts)
    known = np.bincount(u_client[counts], minlength=C) > 0
    up = np.bincount(u_client[upu], minlength=C) > 0
    down = np.bincount(u_client[downu], minlength=C) > 0
    return known, known & up & ~down


def mhcsf_twice(cl: Caseload, C: int, t: int, max_age: int, min_days_apart: int) -> B:
    if "mhcsf" not in cl.instruments:
        return np.zeros(C, dtype=np.bool_)
    code = cl.instruments.index("mhcsf")
    idx = np.flatnonzero((cl.adm_instrument == code) & cl.adm_valid & (cl.adm_day <= t))
    idx = idx[sort_rows(cl.adm_client[idx], cl.adm_day[idx])]
    g = Groups(cl.adm_client[idx], C)
    li = g.last_index()
    pi = np.where(g.n >= 2, g.ends - 2, -1)
    d1 = take(cl.adm_day[idx].astype(np.float64), li, np.nan)
    d0 = take(cl.adm_day[idx].astype(np.float64), pi, np.nan)
    f1 = take(cl.adm_flourishing[idx].astype(np.float64), li, 0) > 0
    f0 = take(cl.adm_flourishing[idx].astype(np.float64), pi, 0) > 0
    return (g.n >= 2) & f1 & f0 & (d1 - d0 >= min_days_apart) & (t - d1 <= max_age)


def max_risk_from(cl: Caseload, C: int, t: int, start: F, strict: bool) -> F:
    """Per client, the highest risk grade of any administration or flag from ``start`` to today.

    ``start`` is a day per client (NaN: none); ``strict`` counts only days after it.
    """
    out = np.zeros(C, dtype=np.float64)
    for client, day, grade in (
        (cl.adm_client, cl.adm_day, cl.adm_risk),
        (cl.flag_client, cl.flag_opened, cl.flag_grade),
    ):
        if not len(client):
            continue
        s = start[client]
        with np.errstate(invalid="ignore"):
            inside = (day > s) if strict else (day >= s)
        inside &= (day <= t) & (grade > 0)
        if inside.any():
            np.maximum.at(out, client[inside], grade[inside].astype(np.float64))
    return out
