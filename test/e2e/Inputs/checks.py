"""Checks shared by the end-to-end runners: float32 result vs float64
reference, and the run-time error contract of INTERFACE.md §2."""

import re

import numpy as np

from harness import modrt, write_safetensors


def compare(label, got, want, atol=1e-4, rtol=1e-4):
    """Max abs error of a float32 result against the float64 reference; raises
    AssertionError past atol + rtol * |want| (a NaN fails)."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        raise AssertionError(f"{label}: shape {got.shape} != reference {want.shape}")
    if not np.all(np.isfinite(want)):
        raise AssertionError(f"{label}: the reference is not finite")
    if got.size == 0:
        return 0.0
    err = np.abs(got - want)
    bad = ~(err <= atol + rtol * np.abs(want))
    worst = float(np.max(np.where(np.isnan(err), np.inf, err)))
    if bad.any():
        i = tuple(int(v) for v in np.argwhere(bad)[0])
        raise AssertionError(f"{label}: max abs error {worst:.3g} > atol={atol} rtol={rtol}; "
                             f"first at {i}: got {got[i]!r}, want {want[i]!r}")
    return worst


def expect_error(what, code, fn, *args, contains=(), row=None):
    """fn(*args) must raise modrt.Error with `code`, its message containing each
    string of `contains` and, if `row` is given, that number as a whole word."""
    try:
        fn(*args)
    except modrt.Error as e:
        msg = str(e)
        if e.code != code:
            raise AssertionError(f"{what}: code {e.code}, expected {code}: {msg}")
        for s in contains:
            if s not in msg:
                raise AssertionError(f"{what}: message does not name '{s}': {msg}")
        if row is not None and not re.search(rf"(?<![\w.-]){row}(?![\w.])", msg):
            raise AssertionError(f"{what}: message does not name row {row}: {msg}")
        print(f"ok {what}: code {code}: {msg}")
        return msg
    raise AssertionError(f"{what}: the call succeeded, expected code {code}")


def raw_call(m, entry, dyns):
    """Calls NAME_ENTRY directly with the given dyn values and NULL buffers
    (what modrt's shape checks would not let through); returns the code and
    the library's message."""
    e = m.entries[entry]
    n = len(e.inputs) + len(e.outputs)
    rc = e._fn(m._handle, *dyns, *([None] * n))
    msg = getattr(m._lib, f"{m.name}_error")(m._handle)
    return rc, (msg.decode() if msg else "")


def check_negative_dyns(m, entry):
    """Each dyn of the entry set to a negative value in turn: code 1, the message
    names the entry and the value."""
    e = m.entries[entry]
    for i in range(len(e.dyns)):
        dyns = [2] * len(e.dyns)
        dyns[i] = -3
        rc, msg = raw_call(m, entry, dyns)
        name = m.dyn_names[e.dyns[i]]
        if rc != 1:
            raise AssertionError(f"{entry} with {name} = -3: code {rc}, expected 1 ({msg})")
        if entry not in msg or "-3" not in msg:
            raise AssertionError(f"{entry} with {name} = -3: message does not name the entry "
                                 f"and the value: {msg}")
        print(f"ok negative {name} in {entry}: code 1: {msg}")
    if e.dyns:
        check_huge_dyns(m, entry, [2 ** 61] * len(e.dyns))


def check_huge_dyns(m, entry, dyns):
    """Dyn values whose sizes would wrap int64: code 1 saying so, never a
    crash (the caller's buffers cannot exist at such sizes)."""
    rc, msg = raw_call(m, entry, dyns)
    if rc != 1 or "too large" not in msg:
        raise AssertionError(f"{entry} with dyns = {dyns}: code {rc} ({msg})")
    print(f"ok huge dyns in {entry}: code 1")


def check_bad_weights(m, params, work, after):
    """A missing tensor, a wrong shape and a wrong dtype are code 3 naming the
    parameter, and leave the loaded parameters as they were; `after()` then
    re-checks results against the reference."""
    names = list(params)
    missing = names[len(names) // 2]
    bad = {k: v for k, v in params.items() if k != missing}
    path = f"{work}/missing.safetensors"
    write_safetensors(path, bad)
    expect_error(f"weights without '{missing}'", 3, m.load, path, contains=(missing,))

    shaped = names[-1]
    bad = dict(params)
    shape = params[shaped].shape
    bad[shaped] = np.ones(shape[:-1] + (shape[-1] + 1,), np.float32)
    path = f"{work}/shape.safetensors"
    write_safetensors(path, bad)
    expect_error(f"weights with '{shaped}' of shape {bad[shaped].shape}", 3, m.load, path,
                 contains=(shaped,))

    typed = names[0]
    bad = dict(params)
    bad[typed] = np.ones(params[typed].shape, np.int32)
    path = f"{work}/dtype.safetensors"
    write_safetensors(path, bad)
    expect_error(f"weights with '{typed}' as i32", 3, m.load, path, contains=(typed,))
    after()
