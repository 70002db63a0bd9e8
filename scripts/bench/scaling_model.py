"""The all-reduce's cost model, fitted to scaling.py's measurements (numpy only).

Kindling's dense all-reduce, all-to-all (AeronAllReduce, cases dense-*): every worker sends chunk j of its
vector to worker j (reduce-scatter), sums the N contributions to its own chunk, and sends its summed chunk
to every other worker (all-gather). Per call each worker sends, and receives, V = 2 (N-1)/N * P * w bytes
(P values of w bytes) in 2 (N-1) messages to N-1 peers. By recursive halving and doubling
(HalvingAllReduce, cases halving-*): the same V in 2 log2 N messages to log2 N peers (one more peer where N
is not a power of two). The sparse (topk) call sends the worker's k = density * P (index, value) pairs of
8 bytes to every other worker, S = (N-1) * k * 8 bytes, and adds N * k pairs into P zeros.

    T = a + r * B / R + c * (d D + g B + s P + h H + q N k)

D: the peers a worker exchanges messages with (N-1, or log2 N halving); B: bytes a worker sends per call (V or S); R: the link's rate in bytes/s (shaped with tc; infinite when
not shaped); H: values converted to and from a half-precision wire (P for bf16/fp16, else 0).
c: CPU contention. Every term inside the bracket is work a CPU does; on this host N workers (each with
its own media driver thread) share `cores` cores, so c = max(1, m N / cores), with m fitted; a worker on
a host of its own has c = 1. Fitted, every term >= 0: a (seconds per call: the two phases' latency),
r (wire bytes per payload byte: frame headers, and how much of the link's time is not hidden behind the
CPU's), d (seconds per peer: a message's cost), g (CPU seconds per byte moved: Aeron's copies in and out
of its log buffers), s (CPU seconds per vector value: summing, copying back), h (per value converted),
q (per sparse pair added).
"""
import numpy as np

TERMS = ("a", "r", "d", "g", "s", "h", "q")


def peers(n, case):
    """D: every other worker (all-to-all, topk), or log2 of the largest power of two <= N, plus one where N is not one
    (the rank folded in), halving."""
    if not case.startswith("halving"):
        return n - 1.0
    p = 1 << (int(n).bit_length() - 1)
    return (p.bit_length() - 1) + (1.0 if n != p else 0.0)
CONTENTION = np.linspace(0.5, 4.0, 15)  # the m the fit tries


def features(p, cores, m):
    """The model's terms for one measurement p (workers, floats, case, wire_bytes or pairs, rate_bytes_s): T = features . params."""
    n, floats = p["workers"], p["floats"]
    c = 1.0 if cores is None else max(1.0, m * n / cores)  # cores None: each worker on a host of its own
    if p["case"] == "topk":
        pairs = p["pairs"]
        sent = (n - 1) * pairs * 8.0
        converted, added = 0.0, n * pairs
    else:
        sent = 2.0 * (n - 1) / n * floats * p["wire_bytes"]
        converted, added = (floats if p["wire_bytes"] < 4 else 0.0), 0.0
    inv_rate = 0.0 if not p.get("rate_bytes_s") else 1.0 / p["rate_bytes_s"]
    return np.array([1.0, sent * inv_rate, c * peers(n, p["case"]), c * sent, c * floats, c * converted, c * added])


def _nonnegative_fit(x, y):
    """Least squares on the relative error (rows weighted by 1/T, so small calls count as much as large ones),
    dropping the most negative term until all are >= 0: (params, weighted squared error)."""
    w = 1.0 / y
    xw, yw = x * w[:, None], y * w
    active = list(range(x.shape[1]))
    while True:
        sol, *_ = np.linalg.lstsq(xw[:, active], yw, rcond=None)
        if (sol >= 0).all():
            params = np.zeros(x.shape[1])
            params[active] = sol
            return params, float(((xw @ params - yw) ** 2).sum())
        active.pop(int(np.argmin(sol)))


def fit(points, cores):
    """The parameters (TERMS order) and the contention m that fit `points` best."""
    y = np.array([p["seconds"] for p in points])
    best = None
    for m in CONTENTION:
        params, err = _nonnegative_fit(np.array([features(p, cores, m) for p in points]), y)
        if best is None or err < best[2]:
            best = (params, float(m), err)
    return best[0], best[1]


def predict(params, m, p, cores):
    return float(features(p, cores, m) @ params)


def held_out(points, cores, workers):
    """Fits on the points with fewer than `workers` workers and predicts those with `workers`: params, m, [(point, predicted)]."""
    params, m = fit([p for p in points if p["workers"] < workers], cores)
    return params, m, [(p, predict(params, m, p, cores)) for p in points if p["workers"] == workers]
