"""Run-time errors of INTERFACE.md §2, end to end.

    run_errors.py runtime LIB WORKDIR   (Inputs/errors.mod compiled)
    run_errors.py weights LIB WORKDIR   (examples/lora.mod compiled)

runtime: a task id out of range is code 1 naming the entry, the argument and
the row (per-example and per-row routing); an embedding id out of range is
code 1; a negative dyn is code 1; the model keeps working afterwards.
weights: a missing tensor, a wrong shape, a wrong dtype in the weight file are
code 3 naming the parameter, and leave the loaded parameters as they were.
"""

import sys

import numpy as np

from checks import (check_bad_weights, check_huge_dyns, check_negative_dyns,
                    compare, expect_error)
from harness import modrt, write_safetensors
import reference as ref
from reference import embedding, route, tanh, tensor


def random_params(m, rng):
    out = {}
    for p in m.params:
        shape = tuple(p["shape"])
        std = 1.0 / np.sqrt(shape[0]) if len(shape) == 2 and p["name"] != "emb" else 0.5
        out[p["name"]] = (rng.standard_normal(shape) * std).astype(np.float32)
    return out


def runtime(lib, work):
    m = modrt.load(lib)
    rng = np.random.default_rng(7)
    params = random_params(m, rng)
    assert list(params) == (["emb"] + [f"seqs.{e}.w" for e in range(3)]
                            + [n for e in range(3) for n in (f"lins.{e}.w", f"lins.{e}.b")])
    write_safetensors(f"{work}/w.safetensors", params)
    m.load(f"{work}/w.safetensors")
    P = {k: tensor(v) for k, v in params.items()}
    seqs = [ref.instance_from(lambda p, x: tanh(x @ p["w"]), P, f"seqs.{e}") for e in range(3)]
    lins = [ref.instance_from(lambda p, x: x @ p["w"] + p["b"], P, f"lins.{e}")
            for e in range(3)]

    def valid_calls():
        tokens = rng.integers(0, 10, size=(3, 4)).astype(np.int64)
        tid = np.array([2, 0, 1], np.int32)
        want = route(embedding(P["emb"], tensor(tokens)), seqs, ref.Task(tensor(tid)))
        compare("forward", m.forward(tokens, tid), want.numpy())
        x = rng.standard_normal((5, 8)).astype(np.float32)
        tid = np.array([1, 1, 0, 2, 0], np.int64)
        compare("rows", m.rows(x, tid), route(tensor(x), lins, ref.Task(tensor(tid))).numpy())
        ids = np.array([9, 0, 3], np.int32)
        compare("embed", m.embed(ids), embedding(P["emb"], tensor(ids)).numpy())

    valid_calls()
    print("ok valid calls")
    tokens = np.zeros((3, 2), np.int64)
    for bad in (3, -1, 2 ** 31 - 1):
        expect_error(f"forward task_id {bad} in row 2", 1, m.forward, tokens,
                     np.array([0, 2, bad], np.int32), contains=("forward", "task_id"), row=2)
    x = np.ones((7, 8), np.float32)
    for bad in (-1, 3, 2 ** 32):
        tid = np.array([1, 0, 0, 0, 0, bad, 2], np.int64)
        expect_error(f"rows task_id {bad} in row 5", 1, m.rows, x, tid,
                     contains=("rows", "task_id"), row=5)
    for bad in (10, -1):
        expect_error(f"embed id {bad}", 1, m.embed, np.array([1, bad, 2], np.int32))
        toks = np.array([[1, 2], [3, bad]], np.int64)
        expect_error(f"forward token {bad}", 1, m.forward, toks, np.array([0, 1], np.int32))
    expect_error("extremes over an empty T = 0", 1, m.extremes,
                 np.ones((2, 0), np.float32), contains=("'min'", "empty"))
    lo, am = m.extremes(np.ones((0, 3), np.float32))
    assert lo.shape == (0,) and am.shape == (0,), (lo.shape, am.shape)
    before = m.state_dict()
    for n in (12, 40, 200):
        ids = np.arange(n, dtype=np.int32) * 7 - 3
        expect_error(f"embed_step ids up to {ids[-1]}", 1, m.embed_step, ids,
                     np.ones((n, 8), np.float32), contains=("embed_step",))
    assert all(np.array_equal(v, m.state_dict()[k]) for k, v in before.items())
    for entry in ("forward", "rows", "embed"):
        check_negative_dyns(m, entry)
    check_huge_dyns(m, "forward", [2 ** 31, 2 ** 31])  # B * T * D wraps
    valid_calls()
    print("ok valid calls after the errors")
    check_bad_weights(m, params, work, valid_calls)
    print("PASS errors runtime")


def weights(lib, work):
    m = modrt.load(lib)
    rng = np.random.default_rng(11)
    params = {p["name"]: (rng.standard_normal(p["shape"]) * 0.05).astype(np.float32)
              for p in m.params}
    write_safetensors(f"{work}/w.safetensors", params)
    m.load(f"{work}/w.safetensors")
    P = {k: tensor(v) for k, v in params.items()}

    def check():
        x = rng.standard_normal((3, 1024)).astype(np.float32)
        xd = tensor(x)
        want = xd @ P["base.w"] + P["base.b"] + (xd @ P["adapter.A"]) @ P["adapter.B"] * 2.0
        compare("lora forward", m.forward(x), want.numpy())

    check()
    check_bad_weights(m, params, work, check)
    check_negative_dyns(m, "forward")
    print("PASS errors weights")


if __name__ == "__main__":
    mode, lib, work = sys.argv[1:4]
    try:
        {"runtime": runtime, "weights": weights}[mode](lib, work)
    except (AssertionError, modrt.Error) as e:
        sys.exit(f"FAIL errors {mode}: {e}")
