"""Independent requests of one check sent together: a small, bounded thread pool.

A check's reads of a graph (each source, flow, segment listing, object, media download) and
its cleanup deletes do not depend on each other; sent one at a time, a remote target's round
trip is paid for each. `gather` runs such calls on at most `POOL_SIZE` threads and returns
their results in the order given. The transcript stays in that order too (each task's
exchanges are held on its thread and appended when the pool is done), so a check's transcript,
its judged exchange and the cleanup accounting read from it are those of a serial run.

Pools nest: a task may gather again (its tasks' exchanges go into its own share). Only calls
that are independent belong in one gather: a read that needs another's answer runs after it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from tams_conformance.client import Held, Transcript

T = TypeVar("T")

# Few enough that a target sees a handful of requests of one check at a time (xdist multiplies
# it by the workers), enough to cover the round trips of a check's independent reads.
POOL_SIZE = 4


def gather(
    transcript: Transcript | None,
    calls: Sequence[Callable[[], T]],
    workers: int = POOL_SIZE,
) -> list[T]:
    """Run `calls` on at most `workers` threads; their results in call order. Every call runs
    to its end; then the first exception, in call order, is raised (as a serial run would
    have met it first). The exchanges they make go into `transcript` in call order."""
    calls = list(calls)
    if len(calls) <= 1 or workers <= 1:
        return [call() for call in calls]  # nothing to overlap: no thread, same transcript
    held: list[list[Held]] = [[] for _ in calls]

    def task(index: int) -> T:
        if transcript is None:
            return calls[index]()
        with transcript.holding(held[index]):
            return calls[index]()

    pool = ThreadPoolExecutor(max_workers=min(workers, len(calls)), thread_name_prefix="tams")
    futures: list[Future[T]] = []
    try:
        futures = [pool.submit(task, i) for i in range(len(calls))]
        for future in futures:
            future.exception()  # wait for each; its error is raised below, in order
    except BaseException:
        # Ctrl-C while waiting: start nothing new, let what runs end on its own deadline; what
        # was sent so far stays in the transcript (cleanup accounting reads it).
        pool.shutdown(wait=False, cancel_futures=True)
        _release(transcript, held)
        raise
    pool.shutdown(wait=True)
    _release(transcript, held)
    return [future.result() for future in futures]


def _release(transcript: Transcript | None, held: list[list[Held]]) -> None:
    if transcript is not None:
        transcript.release([item for share in held for item in list(share)])
