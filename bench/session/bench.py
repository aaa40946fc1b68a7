"""The compiler in-process (issue 11's speed targets): check throughput on
generated small programs, compile time of the examples to a loaded model
(cold cache) and of a cache hit, and compile time against program size.
Prints a table and, with matplotlib, writes compile_time.png beside itself.

    /usr/bin/python3 bench/session/bench.py [--sizes 500,2000,10000,50000] [--no-sizes]
"""

import argparse
import ctypes
import os
import resource
import sys
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir)
sys.path.insert(0, os.path.join(ROOT, "python"))
import modc  # noqa: E402


def small_program(i):
    return f"""model m{i};
dim D = {4 + i % 5};
dyn N;
module Lin<I, O>(x: f32[N, I]) -> f32[N, O] {{
  param w: f32[I, O] = xavier;
  param b: f32[O] = zeros;
  return x @ w + b;
}}
module Gate<I, K>(x: f32[N, I]) -> f32[N, K] {{
  param w: f32[I, K] = normal(0.0, 0.02);
  return x @ w;
}}
a: Lin<D, D>;
g: Gate<D, 3>;
experts: Lin<D, D>[3];
entry forward(x: f32[N, D]) -> f32[N, D] {{
  let h = relu(a(x)) + x;
  return h + route h to experts by topk(g(h), {1 + i % 3});
}}
""".encode()


def linear_program(lines):
    """About `lines` lines: instances of a small linear module and one entry
    applying them in turn (issue 11's size benchmark)."""
    n = max(1, lines // 10)
    out = ["model big;", "dim D = 16;", "dyn N;",
           "module Lin<I>(x: f32[N, I]) -> f32[N, I] {",
           "  param w: f32[I, I] = normal(0.0, 0.1);", "  return x @ w;", "}"]
    out += [f"l{i}: Lin<D>;" for i in range(n)]
    out.append("entry forward(x: f32[N, D]) -> f32[N, D] {")
    out.append("  let h0 = x;")
    steps = max(1, lines - len(out) - 2)
    for k in range(1, steps):
        out.append(f"  let h{k} = relu(l{k % n}(h{k - 1})) + h{k - 1};")
    out.append(f"  return h{steps - 1};")
    out.append("}")
    return ("\n".join(out) + "\n").encode()


def compile_seconds(api, session, src, options=b"-O2"):
    lib = ctypes.c_void_p()
    start = time.perf_counter()
    rc = api.modc_compile(session, src, len(src), b"bench.mod", options, ctypes.byref(lib))
    elapsed = time.perf_counter() - start
    if rc != 0:
        raise RuntimeError(f"compile failed ({rc})")
    api.modc_library_release(lib)
    return elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="250,1000,2000,5000,10000")
    parser.add_argument("--no-sizes", action="store_true")
    args = parser.parse_args()
    api = modc._api()
    s = modc.Session()
    h = s._handle

    progs = [small_program(i) for i in range(500)]
    for p in progs[:20]:
        api.modc_check(h, p, len(p), b"g.mod", b"")
    start = time.perf_counter()
    for p in progs * 4:
        if api.modc_check(h, p, len(p), b"g.mod", b"") != 0:
            raise RuntimeError("a generated program does not check")
    rate = len(progs) * 4 / (time.perf_counter() - start)

    rows = [("check, small generated programs", f"{rate:.0f} programs/s", ">= 2000/s")]
    for name, target in (("lora", "<= 100 ms"), ("moe", "<= 250 ms")):
        src = open(os.path.join(ROOT, "examples", f"{name}.mod"), "rb").read()
        cold_session = modc.Session()
        cold = compile_seconds(api, cold_session._handle, src)
        fresh = modc.Session()
        compile_seconds(api, fresh._handle, src)
        hit = min(compile_seconds(api, fresh._handle, src) for _ in range(20))
        rows.append((f"compile examples/{name}.mod -O2, cold", f"{cold * 1e3:.0f} ms", target))
        rows.append((f"compile examples/{name}.mod, cache hit", f"{hit * 1e3:.3f} ms", "< 1 ms"))

    sizes = []
    if not args.no_sizes:
        for lines in [int(x) for x in args.sizes.split(",")]:
            src = linear_program(lines)
            sized = modc.Session()
            t = compile_seconds(api, sized._handle, src)
            sizes.append((lines, t))
            rows.append((f"compile {lines}-line generated program -O2", f"{t:.2f} s",
                         {2000: "<= 3 s", 10000: "<= 15 s", 50000: "<= 60 s"}.get(lines, "")))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows.append(("peak resident memory of this process", f"{peak:.0f} MiB", "< 4096 MiB"))

    width = max(len(r[0]) for r in rows)
    print(f"{'measurement':<{width}}  {'result':>16}  target")
    for what, value, target in rows:
        print(f"{what:<{width}}  {value:>16}  {target}")
    if sizes:
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            return
        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.plot([x for x, _ in sizes], [t for _, t in sizes], "o-", label="modc -O2 (in-process)")
        ax.set_xlabel("program lines")
        ax.set_ylabel("compile time (s)")
        ax.legend()
        fig.tight_layout()
        out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "compile_time.png")
        fig.savefig(out, dpi=120)
        print(f"plot: {out}")


if __name__ == "__main__":
    main()
