# lit configuration that runs modc's GoogleTest binaries, one lit test per
# GoogleTest case.
import os

import lit.formats

config.name = "modc-unit"
config.suffixes = []
config.test_source_root = os.path.join(config.modc_obj_root, "bin")
config.test_exec_root = config.test_source_root
config.test_format = lit.formats.GoogleTest(".", "tests")
for var in ("HOME", "TMPDIR", "ASAN_OPTIONS", "LSAN_OPTIONS",
            "UBSAN_OPTIONS"):
    if var in os.environ:
        config.environment[var] = os.environ[var]
