"""Each client's JSON object: the batch's rules for everyone, and each client's trace.

The rules run once for everyone (``run_batch``); each client's trace and
question are written from the batch arrays (``plusone.core.batch_traces``),
and for the clients that module does not cover (a phase past Stabilizing, a
"not now" decision, logged ruptures or therapist ratings) by ``propose`` on the
same data, checked against the batch as the objects are built. Large
caseloads are split over worker processes.
"""

from __future__ import annotations

import functools
import json
import math
import multiprocessing
import os
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from plusone.analytics.analyze.load import Loaded
from plusone.analytics.io import progress
from plusone.core.batch import NO_PHASE, BatchResult, Caseload, histories_of, run_batch
from plusone.core.batch_traces import Traces
from plusone.core.history import PHASES, ClientHistory
from plusone.core.instruments import Instrument, all_instruments
from plusone.core.measure_info import instrument_infos
from plusone.core.policy import Policy
from plusone.core.propose import KINDS, MeasureInfo, propose
from plusone.core.scoring import band_for


def analyze(
    loaded: Loaded,
    *,
    today: date,
    policy: Policy,
    workers: int | None = None,
    as_json: bool = False,
    trace: bool = True,
) -> tuple[list[Any], dict[str, float]]:
    """The per-client payloads (JSON lines with ``as_json``) and the timings in seconds.

    The rules run once for everyone (``run_batch``); each client's trace and
    question then come from ``propose``, split over ``workers`` processes
    (default: one per core, for caseloads of 2,000 clients or more). With
    ``trace=False`` the payloads come from the batch arrays alone, without
    trace and question.
    """
    cl = loaded.caseload
    infos = instrument_infos()
    t0 = time.perf_counter()
    result = run_batch(cl, today=today, policy=policy, measures=infos)
    t1 = time.perf_counter()
    work = Explain(
        loaded=loaded,
        result=result,
        today=today,
        policy=policy,
        infos=infos,
        gains=_gains_by_client(result, cl.n_clients),
        risk=_risk_by_client(cl, result),
        scores=_scores_by_client(cl),
        traces=Traces(cl, result, today=today, policy=policy, measures=infos) if trace else None,
        trace=trace,
        as_json=as_json,
    )
    C = cl.n_clients
    if workers is None:
        # Without traces a client costs tens of microseconds: forking only pays on big caseloads.
        big = cl.n_clients >= (2000 if trace else 20000)
        workers = min(os.cpu_count() or 1, 4) if big else 1
    step = max(1, -(-C // (workers * 4)))
    spans = [(a, min(C, a + step)) for a in range(0, C, step)]
    payloads: list[Any] = []
    if workers > 1 and len(spans) > 1:
        # fork hands the work (the parsed caseload and all) to each worker without copying it.
        pool = multiprocessing.get_context("fork").Pool(
            workers, initializer=_take, initargs=(work,)
        )
        with pool:
            for chunk in pool.imap(_worker_payloads, spans):
                payloads.extend(chunk)
                progress(f"explained {len(payloads)} of {C} clients")
    else:
        for span in spans:
            payloads.extend(work.payloads(span))
    t2 = time.perf_counter()
    return payloads, {"compute": t1 - t0, "explain": t2 - t1}


@dataclass(frozen=True)
class Explain:
    """What building the payloads of a span of clients needs, in the parent or a worker."""

    loaded: Loaded
    result: BatchResult
    today: date
    policy: Policy
    infos: dict[str, MeasureInfo]
    gains: list[list[dict[str, Any]]]
    risk: list[list[dict[str, Any]]]
    scores: list[dict[str, dict[str, Any]]]
    # The traces written from the batch arrays (None without traces).
    traces: Traces | None
    # With propose's trace and question; as JSON lines (encoding spreads over the workers too).
    trace: bool
    as_json: bool

    def payloads(self, span: tuple[int, int]) -> list[Any]:
        """The payloads of clients in [start, stop), each encoded as one line with ``as_json``."""
        chunk = self._explained(span) if self.trace else self._summary(span)
        if self.as_json:
            return [_ENCODE(_clean_payload(p)) for p in chunk]
        return chunk

    def _explained(self, span: tuple[int, int]) -> list[dict[str, Any]]:
        """Payloads with the trace and question, from the batch arrays or else ``propose``."""
        assert self.traces is not None
        cl = self.loaded.caseload
        out: list[dict[str, Any]] = []
        written = self.traces.explain(*span)
        rest = [i for i, w in zip(range(*span), written, strict=True) if w is None]
        # Only the clients the batch traces do not cover are unpacked into histories.
        proposed = {
            i: self._proposed(i, h) for i, h in zip(rest, histories_of(cl, rest), strict=True)
        }
        for i, w in zip(range(*span), written, strict=True):
            trace, question = w if w is not None else proposed[i]
            out.append(self._payload(i, trace, question))
        return out

    def _proposed(self, i: int, h: ClientHistory) -> tuple[tuple[str, ...], str | None]:
        """``propose``'s trace and question for client ``i``, checked against the batch."""
        cl, result = self.loaded.caseload, self.result
        p = propose(h, today=self.today, policy=self.policy, measures=self.infos)
        # The batch path and propose must agree; a disagreement is a bug, never data.
        held = None if int(result.held[i]) < 0 else KINDS[int(result.held[i])]
        if p.kind != result.kind_name(i) or p.alerts != result.alert_names(i) or p.held != held:
            raise RuntimeError(
                f"client {cl.clients[i]}: batch gave {result.kind_name(i)} "
                f"{result.alert_names(i)}, propose gave {p.kind} {p.alerts}"
            )
        return p.trace, p.question

    def _summary(self, span: tuple[int, int]) -> list[dict[str, Any]]:
        """Payloads without trace and question, from the batch only."""
        return [self._payload(i, None, None) for i in range(*span)]

    def _payload(
        self, i: int, history_trace: tuple[str, ...] | None, question: str | None
    ) -> dict[str, Any]:
        payload = client_payload(
            i,
            self.loaded,
            self.result,
            history_trace,
            question,
            self.infos,
            self.gains[i],
            self.risk[i],
        )
        payload["scores"] = self.scores[i]
        return payload


# A worker process's Explain, from the pool's initializer argument; never set in the parent.
_WORK: Explain | None = None


def _take(work: Explain) -> None:
    global _WORK
    _WORK = work


def _worker_payloads(span: tuple[int, int]) -> list[Any]:
    assert _WORK is not None, "called outside a worker"
    return _WORK.payloads(span)


def _num(x: Any) -> Any:
    """A float as ``io._clean`` writes it: rounded to 6 places, NaN and infinity as null."""
    if isinstance(x, float):
        return None if math.isnan(x) or math.isinf(x) else round(x, 6)
    return x


def _clean_payload(p: dict[str, Any]) -> dict[str, Any]:
    """``io._clean`` for one client object, visiting only the fields that can hold floats.

    The generic walk also visits every trace sentence and costs more than
    encoding the object; the output is the same.
    """
    if p["latest"] is not None:
        p["latest"]["total"] = _num(p["latest"]["total"])
    if p["change"] is not None:
        for k in ("intake", "latest", "difference", "rc_points"):
            p["change"][k] = _num(p["change"][k])
    for gain in p["gains"]:
        for k in ("pre", "post", "magnitude"):
            gain[k] = _num(gain[k])
    p["window_range"] = _num(p["window_range"])
    for score in p["scores"].values():
        score["total"] = _num(score["total"])
    return p


# One encoder for every line: json.dumps with options builds a new one per call.
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def client_payload(
    i: int,
    loaded: Loaded,
    result: BatchResult,
    history_trace: tuple[str, ...] | None,
    question: str | None,
    infos: dict[str, MeasureInfo],
    gains: list[dict[str, Any]],
    risk: list[dict[str, Any]],
) -> dict[str, Any]:
    """One client's JSON object; without a trace (None) the question and trace are left out."""
    cl = loaded.caseload
    key = cl.primary[i]
    info = infos.get(key) or MeasureInfo(key=key, title=key)
    n = int(result.n[i])
    flat = int(result.flat[i])
    intake = float(result.intake[i]) if n else None
    latest = float(result.latest[i]) if n else None
    change = None
    if n and intake is not None and latest is not None:
        diff = latest - intake
        change = {
            "intake": intake,
            "latest": latest,
            "difference": diff,
            "rc_points": info.rc_points,
            "reliable": None if info.rc_points is None else abs(diff) >= info.rc_points,
            "direction": "better" if diff * info.sign < 0 else "worse" if diff else "same",
        }
    phase = int(result.phase[i])
    payload = {
        "client": cl.clients[i],
        "primary": key,
        "phase": None if phase == NO_PHASE else PHASES[phase],
        "administrations": n,
        "latest": None
        if not n
        else {
            "date": date.fromordinal(int(result.latest_day[i])).isoformat(),
            "total": latest,
            "band": _band(key, latest),
            "below_cutoff": None
            if info.cutoff is None or latest is None
            else info.below_cutoff(latest),
        },
        "change": change,
        "gains": gains,
        "flat": None if flat < 0 else bool(flat),
        "window_range": None if flat < 0 else float(result.window_range[i]),
        "proposal": result.kind_name(i),
        "question": question,
        "alerts": list(result.alert_names(i)),
        "spike_review": bool(result.spike_review[i]),
        "held": None if int(result.held[i]) < 0 else KINDS[int(result.held[i])],
        "consult": bool(result.consult[i]),
        "risk": risk,
        "trace": None if history_trace is None else list(history_trace),
    }
    if history_trace is None:
        del payload["question"], payload["trace"]
    return payload


@functools.cache
def _instrument(key: str) -> Instrument:
    return all_instruments()[key]


def _band(key: str, total: float | None) -> str | None:
    if total is None:
        return None
    band = band_for(_instrument(key), total)
    return band.label if band else None


def _gains_by_client(result: BatchResult, n_clients: int) -> list[list[dict[str, Any]]]:
    out: list[list[dict[str, Any]]] = [[] for _ in range(n_clients)]
    rows = np.flatnonzero(result.gain)
    for r in rows.tolist():
        c = int(result.series_client[r])
        out[c].append(
            {
                "pre_date": date.fromordinal(int(result.series_day[r])).isoformat(),
                "post_date": date.fromordinal(int(result.series_day[r + 1])).isoformat(),
                "pre": float(result.series_total[r]),
                "post": float(result.series_total[r + 1]),
                "magnitude": float(result.gain_magnitude[r]),
                "reversal": bool(result.gain_reversal[r]),
            }
        )
    return out


def _risk_by_client(cl: Caseload, result: BatchResult) -> list[list[dict[str, Any]]]:
    """Each client's open flags, in the order of the flag table (one pass, not one per client)."""
    out: list[list[dict[str, Any]]] = [[] for _ in range(cl.n_clients)]
    for r in np.flatnonzero(result.open_flag).tolist():
        out[int(cl.flag_client[r])].append(
            {
                "instrument": cl.instruments[int(cl.flag_instrument[r])],
                "item": cl.flag_item[r],
                "grade": int(cl.flag_grade[r]),
                "opened": date.fromordinal(int(cl.flag_opened[r])).isoformat(),
            }
        )
    return out


def _scores_by_client(cl: Caseload) -> list[dict[str, dict[str, Any]]]:
    """Every client's latest valid score per scored instrument, as ``_latest_scores`` gives it.

    The latest is the one with the latest date, and on a tie the last row;
    instruments come in key order.
    """
    out: list[dict[str, dict[str, Any]]] = [{} for _ in range(cl.n_clients)]
    rows = np.flatnonzero(cl.adm_valid & ~np.isnan(cl.adm_total))
    if not len(rows):
        return out
    by_name = {k: j for j, k in enumerate(sorted(cl.instruments))}
    rank = np.array([by_name[k] for k in cl.instruments], dtype=np.int64)
    client, inst, day = cl.adm_client[rows], rank[cl.adm_instrument[rows]], cl.adm_day[rows]
    # lexsort is stable: on equal days the later row stays later.
    order = np.lexsort((day, inst, client))
    rows, client, inst = rows[order], client[order], inst[order]
    last = np.append((client[1:] != client[:-1]) | (inst[1:] != inst[:-1]), True)
    rows = rows[last]
    for c, k, d, x in zip(
        cl.adm_client[rows].tolist(),
        cl.adm_instrument[rows].tolist(),
        cl.adm_day[rows].tolist(),
        cl.adm_total[rows].tolist(),
        strict=True,
    ):
        key = cl.instruments[k]
        out[c][key] = {"date": date.fromordinal(d).isoformat(), "total": x, "band": _band(key, x)}
    return out
