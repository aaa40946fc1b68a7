# modc: the two commands of the quick start, and a few more.
#   make demo    install what is missing, build, compile examples/lora.mod, run it
#   make check   install what is missing, build, run every lit and GoogleTest test
BUILD     ?= build
JOBS      ?= $(shell nproc)
CC_BIN    ?= /usr/bin/clang-19
CXX_BIN   ?= /usr/bin/clang++-19
LIT       ?= /usr/lib/llvm-19/build/utils/lit/lit.py
FUZZ_SECONDS ?= 60

export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: all setup configure build demo check check-asan fuzz format clean

all: build

setup:
	@./scripts/setup-deps.sh

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

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h' '*.c')

clean:
	rm -rf $(BUILD)
