"""Random architecture search with the compiler in-process.

Generates modular programs from modc's vocabulary (expert modules x routers
x aggregations, template arguments, optionally a nested route inside the
experts), checks each in-process, compiles the well-typed ones, runs them on
one batch and prints a leaderboard. Until training exists the score is the
forward cost (ms per batch) with the output's statistics; `evaluate()` is
where a few training steps will plug in.

    /usr/bin/python3 examples/search/search.py --candidates 200 --seed 0
"""

import argparse
import os
import random
import sys
import time

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir)
sys.path.insert(0, os.path.join(ROOT, "python"))
import modc  # noqa: E402

ACTIVATIONS = ["relu", "gelu", "silu", "tanh"]


def vocabulary_by_kind():
    kinds = {}
    for entry in modc.vocabulary():
        kinds.setdefault(entry["kind"], {})[entry["name"]] = entry
    return kinds


def router_call(rng, router, num_targets):
    """A call of `router` with its arguments drawn from the table's
    argument list (the tensors come from the program, the numbers are drawn;
    now and then out of range, for the checker to reject)."""
    args = []
    for arg in router["args"]:
        kind, name = arg["type"], arg["name"]
        if kind == "float tensor":
            args.append("softmax(logits)" if name == "w" else "logits")
        elif kind == "id tensor":
            args.append("ids")
        elif kind == "indices":
            chosen = sorted(rng.sample(range(num_targets), rng.randint(1, num_targets)))
            args.extend(str(i) for i in chosen)
        elif kind == "int":
            args.append(str(rng.randint(1, num_targets + (1 if rng.random() < 0.1 else 0))))
        elif kind == "number" and (arg["required"] or rng.random() < 0.3):
            value = rng.choice([0.5, 1.0, 1.5, 2.0])
            args.append(f"{arg['name']} = {value}" if not arg["required"] else str(value))
        elif kind == "bool" and rng.random() < 0.3:
            args.append(f"{arg['name']} = {rng.choice(['true', 'false'])}")
    if not router["args"]:
        return router["name"]
    return f"{router['name']}({', '.join(args)})"


def generate(rng, index, vocab):
    """One candidate program (source text) and a description of it."""
    d = rng.choice([16, 32, 64])
    hidden = rng.choice([8, 16, 32, 64])
    experts = rng.randint(2, 6)
    act = rng.choice(ACTIVATIONS)
    router = vocab["router"][rng.choice(sorted(vocab["router"]))]
    aggregation = rng.choice(sorted(vocab["aggregation"]) + [None])
    nested = rng.random() < 0.25
    combine = f" combine {aggregation}" if aggregation else ""
    body = f"{act}(x @ up) @ down"
    inner = ""
    if nested:
        # A per-token mixture inside each expert: routing nested in modules.
        inner = f"""
  inner_gate: Gate<I, 2>;
  inner: Lin<I>[2];"""
        body = f"{act}(x @ up) @ down + route x to inner by topk(inner_gate(x), 1)"
    src = f"""model cand{index};
dim D = {d};
dim H = {hidden};
dim E = {experts};
dyn N;
module Lin<I>(x: f32[N, I]) -> f32[N, I] {{
  param w: f32[I, I] = normal(0.0, 0.1);
  return x @ w;
}}
module Gate<I, K>(x: f32[N, I]) -> f32[N, K] {{
  param w: f32[I, K] = normal(0.0, 0.2);
  return x @ w;
}}
module Expert<I, F>(x: f32[N, I]) -> f32[N, I] {{
  param up: f32[I, F] = normal(0.0, 0.1);
  param down: f32[F, I] = normal(0.0, 0.1);{inner}
  return {body};
}}
gate: Gate<D, E>;
experts: Expert<D, H>[E];
entry forward(x: f32[N, D], ids: i32[N]) -> f32[N, D] {{
  let logits = gate(x);
  return x + route x to experts by {router_call(rng, router, experts)}{combine};
}}
"""
    what = (f"D={d} H={hidden} E={experts} {act} {router['name']}"
            f"{'/' + aggregation if aggregation else ''}{' nested' if nested else ''}")
    return src, what, d, experts


def evaluate(model, d, experts, rng):
    """Forward cost and output statistics on one batch (training steps will
    go here)."""
    model.init(rng.randrange(1 << 30))
    x = np.random.default_rng(rng.randrange(1 << 30)).standard_normal((64, d)).astype(np.float32)
    ids = (np.arange(64) % experts).astype(np.int32)
    model.forward(x, ids)
    start = time.perf_counter()
    for _ in range(5):
        y = model.forward(x, ids)
    cost = (time.perf_counter() - start) / 5 * 1e3
    return cost, float(np.mean(y)), float(np.std(y))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--opt", type=int, default=1)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    vocab = vocabulary_by_kind()
    session = modc.Session()
    board, rejected, failed = [], 0, 0
    start = time.perf_counter()
    for i in range(args.candidates):
        src, what, d, experts = generate(rng, i, vocab)
        errors = session.check(src)
        if errors:
            rejected += 1
            continue
        try:
            model = session.compile(src, opt=args.opt)
        except modc.CompileError:
            failed += 1
            continue
        cost, mean, std = evaluate(model, d, experts, rng)
        board.append((cost, what, mean, std))
        model.close()
    elapsed = time.perf_counter() - start
    board.sort()
    print(f"{args.candidates} candidates in {elapsed:.1f} s "
          f"({args.candidates / elapsed * 60:.0f}/min): {len(board)} compiled and ran, "
          f"{rejected} rejected by the checker, {failed} failed to compile")
    print(f"{'rank':>4}  {'ms/batch':>8}  {'mean':>8}  {'std':>8}  candidate")
    for rank, (cost, what, mean, std) in enumerate(board[:args.top], 1):
        print(f"{rank:>4}  {cost:8.3f}  {mean:8.4f}  {std:8.4f}  {what}")
    return 0 if board and failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
