"""Timing shared by the benchmarks: the median of repeated calls."""

import statistics
import time


def median_time(fn, min_time=0.25, min_reps=5, warmup=1, max_reps=2000):
    """Median seconds of fn() over at least min_reps calls and min_time
    seconds (at most max_reps calls), after warmup untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or time.perf_counter() - start < min_time:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        if len(times) >= max_reps:
            break
    return statistics.median(times)
