"""Running estimates of a link: round-trip time, packet loss, bandwidth.

Each takes samples with explicit times and reads no clock, so a test drives
them with a manual one and gets exact answers.
"""

from __future__ import annotations

from collections import deque


class RttEstimator:
    """Smoothed RTT and jitter (mean deviation), both in seconds.

    An exponential moving average, as TCP does (RFC 6298) with a configurable
    weight: the first sample is taken as is, each later one moves the estimate
    by `smoothing` of the difference. The jitter follows the absolute
    differences the same way, so RTT + 4 jitters bounds nearly every round trip.
    """

    __slots__ = ("smoothing", "rtt", "jitter", "min_rtt", "samples")

    def __init__(self, smoothing: float) -> None:
        self.smoothing = smoothing
        self.rtt = 0.0
        self.jitter = 0.0
        self.min_rtt = 0.0
        self.samples = 0

    def sample(self, rtt: float) -> None:
        rtt = max(rtt, 0.0)
        if self.samples == 0:
            self.rtt = self.min_rtt = rtt
        else:
            weight = self.smoothing
            self.jitter += (abs(rtt - self.rtt) - self.jitter) * weight
            self.rtt += (rtt - self.rtt) * weight
            self.min_rtt = min(self.min_rtt, rtt)
        self.samples += 1


class LossEstimator:
    """The share of lost packets among the last `window` packets judged."""

    __slots__ = ("_fates", "_lost")

    def __init__(self, window: int) -> None:
        self._fates: deque[bool] = deque(maxlen=window)
        self._lost = 0

    def judge(self, lost: bool) -> None:
        fates = self._fates
        if len(fates) == fates.maxlen:
            self._lost -= fates[0]
        fates.append(lost)
        self._lost += lost

    @property
    def judged(self) -> int:
        return len(self._fates)

    @property
    def loss(self) -> float:
        """0.0 (none lost, or none judged yet) to 1.0 (all lost)."""
        return self._lost / len(self._fates) if self._fates else 0.0


class RateMeter:
    """Bytes per second over a sliding window of `window` seconds, reported in kbit/s."""

    __slots__ = ("window", "_events", "_bytes", "_start")

    def __init__(self, window: float, now: float) -> None:
        self.window = window
        self._events: deque[tuple[float, int]] = deque()
        self._bytes = 0
        self._start = now

    def add(self, now: float, size: int) -> None:
        self._events.append((now, size))
        self._bytes += size
        if len(self._events) > 64:
            self._prune(now)

    def _prune(self, now: float) -> None:
        events, cutoff = self._events, now - self.window
        while events and events[0][0] <= cutoff:
            self._bytes -= events.popleft()[1]

    def kbps(self, now: float) -> float:
        """kbit/s (1000 bits) over the window, or over the time since the start if shorter."""
        self._prune(now)
        span = min(self.window, now - self._start)
        return self._bytes * 8 / 1000 / span if span > 0 else 0.0
