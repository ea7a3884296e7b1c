"""How much of the machine's CPU other processes took while something ran (the machine may be
shared: a busy neighbour slows every figure)."""

from __future__ import annotations

import os
from types import TracebackType


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine so far."""
    with open("/proc/stat", encoding="utf-8") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class OthersCpu:
    """``with OthersCpu() as others: ...``; then ``others.share`` is the share of the machine's
    CPU that processes other than this one used during the block (0 to 1)."""

    def __init__(self) -> None:
        self.share = 0.0
        self._busy = self._total = 0
        self._own: os.times_result | None = None

    def __enter__(self) -> OthersCpu:
        self._busy, self._total = cpu_ticks()
        self._own = os.times()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        own1 = os.times()
        busy1, total1 = cpu_ticks()
        own0 = self._own
        assert own0 is not None
        own = (own1.user + own1.system - own0.user - own0.system) * os.sysconf("SC_CLK_TCK")
        self.share = max(0.0, (busy1 - self._busy) - own) / max(1, total1 - self._total)
