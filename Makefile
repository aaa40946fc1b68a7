# modc: the two commands of the quick start, and a few more.
#   make demo    install what is missing, build, compile examples/lora.mod, run it
#   make check   install what is missing, build, run every lit and GoogleTest test
#   make fuzz    fuzz the front end (ASan+UBSan) for FUZZ_SECONDS (default 60)
#   make fuzz-session  fuzz modc_check/modc_compile in one session (ASan build)
BUILD     ?= build
JOBS      ?= $(shell nproc)
CC_BIN    ?= /usr/bin/clang-19
CXX_BIN   ?= /usr/bin/clang++-19
LIT       ?= /usr/lib/llvm-19/build/utils/lit/lit.py
FUZZ_SECONDS ?= 60
FUZZ_BUILD   ?= build-fuzz
FUZZ_JOBS    ?= 1
ASAN_BUILD   ?= build-asan
VENV         ?= .venv

export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: all setup configure build demo check check-asan bench bench-minilm bench-train bench-decode fuzz fuzz-session format clean

all: build

setup:
	@./scripts/setup-deps.sh
	@./scripts/setup-venv.sh $(VENV)

$(BUILD)/build.ninja:
	@$(MAKE) --no-print-directory setup
	cmake -G Ninja -S . -B $(BUILD) \
	  -DCMAKE_BUILD_TYPE=Release \
	  -DCMAKE_C_COMPILER=$(CC_BIN) -DCMAKE_CXX_COMPILER=$(CXX_BIN) \
	  -DLLVM_USE_LINKER=lld \
	  -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
	  -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir

configure: setup $(BUILD)/build.ninja

build: configure
	ninja -C $(BUILD) -j $(JOBS)

demo: build
	@./scripts/demo.sh $(BUILD)

check: build
	@./scripts/check.sh $(BUILD) $(LIT)

# The front end alone, instrumented, in $(FUZZ_BUILD); the corpus grows in
# $(FUZZ_BUILD)/corpus across runs, seeded from the examples and every .mod
# test; crashers land in $(FUZZ_BUILD)/artifacts (keep each one as a
# regression in test/fuzz/regressions).
fuzz: setup
	cmake -G Ninja -S . -B $(FUZZ_BUILD) -DMODC_FUZZ=ON \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER=$(CC_BIN) -DCMAKE_CXX_COMPILER=$(CXX_BIN) \
	  -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
	ninja -C $(FUZZ_BUILD) -j $(FUZZ_JOBS) parse_check_fuzzer
	rm -rf $(FUZZ_BUILD)/seeds
	mkdir -p $(FUZZ_BUILD)/corpus $(FUZZ_BUILD)/seeds $(FUZZ_BUILD)/artifacts
	for f in examples/*.mod $$(find test/dsl test/fuzz -name '*.mod'); do \
	  cp "$$f" "$(FUZZ_BUILD)/seeds/$$(echo "$$f" | tr / _)"; done
	$(FUZZ_BUILD)/bin/parse_check_fuzzer $(FUZZ_BUILD)/corpus $(FUZZ_BUILD)/seeds \
	  -dict=test/fuzz/mod.dict -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
	  -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	  -artifact_prefix=$(FUZZ_BUILD)/artifacts/

# The in-process compiler (modc_check/modc_compile in one session) on
# arbitrary bytes, in the ASan build of check-asan; same corpus seeds and
# artifacts as `make fuzz`, in $(ASAN_BUILD)/session-*.
fuzz-session: setup $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD) -j $(JOBS) session_fuzzer modrt
	rm -rf $(ASAN_BUILD)/session-seeds
	mkdir -p $(ASAN_BUILD)/session-corpus $(ASAN_BUILD)/session-seeds $(ASAN_BUILD)/session-artifacts
	for f in examples/*.mod $$(find test/dsl test/fuzz -name '*.mod'); do \
	  { printf '\002'; cat "$$f"; } > "$(ASAN_BUILD)/session-seeds/$$(echo "$$f" | tr / _)"; done
	ASAN_OPTIONS=detect_leaks=1:detect_odr_violation=0:allocator_may_return_null=1:verify_asan_link_order=0 \
	  $(ASAN_BUILD)/bin/session_fuzzer $(ASAN_BUILD)/session-corpus $(ASAN_BUILD)/session-seeds \
	  -dict=test/fuzz/mod.dict -max_len=16384 -timeout=30 -rss_limit_mb=6144 \
	  -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	  -artifact_prefix=$(ASAN_BUILD)/session-artifacts/

# The runtime, the compiler and the end-to-end tests under ASan + UBSan + LSan.
# Python runs the compiled models, so it gets the shared sanitizer runtime
# preloaded; leaks inside Python, NumPy and PyTorch themselves are suppressed
# (test/asan/lsan.supp), the models' and the runtime's are not.
$(ASAN_BUILD)/build.ninja:
	cmake -G Ninja -S . -B $(ASAN_BUILD) \
	  -DCMAKE_BUILD_TYPE=Release -DMODC_ASAN=ON \
	  -DCMAKE_C_COMPILER=$(CC_BIN) -DCMAKE_CXX_COMPILER=$(CXX_BIN) \
	  -DLLVM_USE_LINKER=lld \
	  -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
	  -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir
check-asan: setup $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD) -j $(JOBS)
	@MODC_ASAN_PRELOAD=$$($(CC_BIN) -print-file-name=libclang_rt.asan-x86_64.so) \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:detect_odr_violation=0:allocator_may_return_null=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/test/asan/lsan.supp:print_suppressions=0 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ./scripts/check.sh $(ASAN_BUILD) $(LIT)

# Side-by-side speed against PyTorch (OpenBLAS allowed its AVX-512 kernels).
bench: build
	./scripts/setup-deps.sh python3-matplotlib
	ninja -C $(BUILD) modrt-gemm-bench 2>/dev/null || true
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/models/bench.py $(BUILD)

# MiniLM embeddings against PyTorch eager on the checkpoint's weights.
bench-minilm: build
	$(VENV)/bin/python bench/models/minilm.py $(BUILD)

# One training step of moe.mod and lora.mod against PyTorch eager + AdamW.
bench-train: build
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/train/bench.py $(BUILD)

# moe.mod at N = 1..32 against the memory bound, f32 and bf16 (add BUSY=1
# for the same with one core busy).
bench-decode: build
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/decode/bench.py $(BUILD) $(if $(BUSY),--busy)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h' '*.c')

clean:
	rm -rf $(BUILD)
