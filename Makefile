# rnnkit — build, test and demo entry points. `make help` lists them.

SWIFT        ?= swift
RELEASE_BIN  := .build/release/rnnkit
DEBUG_BIN    := .build/debug/rnnkit
PYTHON       ?= python3
APT_PACKAGES := libhdf5-dev zlib1g-dev libopenblas-dev libdnnl-dev pkg-config

.PHONY: help deps build release test swift-test interop-test demo fixtures clean format-samples bench-inspect bench-convert bench-step fuzz-smoke

help:
	@echo "make demo      install missing system packages, build, inspect and verify the bundled fixtures"
	@echo "make test      build and run every test (the command CI runs)"
	@echo "make interop-test  run rnnkit's .onnx files in ONNX Runtime and its .keras files in Keras 3 against PyTorch's outputs; read its written files with numpy, h5py, safetensors (needs numpy, onnx, onnxruntime, keras, jax, h5py, safetensors, ml_dtypes)"
	@echo "make release   build .build/release/rnnkit"
	@echo "make fixtures  regenerate Fixtures/ with real PyTorch, Keras 3 (jax) and ONNX (run by hand, never in CI)"
	@echo "make format-samples  regenerate Fixtures/formats/ with numpy, h5py and safetensors (by hand)"
	@echo "make bench-inspect   time rnnkit inspect on 1 GiB safetensors and .npy files (benchmark, not a test)"
	@echo "make bench-compare   time the engine beside PyTorch and ONNX Runtime (needs torch, onnxruntime; docs/performance.md)"
	@echo "make bench-convert   time rnnkit convert of a 512 MiB safetensors LSTM into every target against cp + fsync, with peak RSS (benchmark)"
	@echo "make bench-step      the batch-1 step kernel against a plain read of W_hh from cache, and the batch-64 kernel and oneDNN's sgemm against the FMA peak, one core (benchmark)"
	@echo "make fuzz-smoke      build the fuzz targets (Fuzz/, libFuzzer + ASan) and run each for $(FUZZ_SMOKE_SECONDS) s (CI)"

# Installs the C libraries rnnkit links (libhdf5, OpenBLAS, oneDNN) when they are missing.
deps:
	@scripts/install-deps.sh $(APT_PACKAGES)

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

swift-test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# The real ONNX Runtime runs rnnkit's .onnx files and real Keras 3 its .keras files, and
# both must agree with PyTorch's outputs in Fixtures/; fixtures written with python/rnnkit_fixture.py
# from ONNX Runtime's outputs pass `rnnkit verify` (a perturbed one fails); numpy, h5py and safetensors read the
# files rnnkit's writers make (scripts/check_written_formats.py). Missing Python packages
# fail the target when CI=true and skip it otherwise.
interop-test: build
	@if ! $(PYTHON) -c "import numpy, onnx, onnxruntime, safetensors" 2>/dev/null; then \
	    if [ "$$CI" = "true" ]; then \
	        echo "interop-test: FAILED: CI=true needs the Python packages numpy, onnx, onnxruntime and safetensors (pip install onnxruntime onnx numpy safetensors)" >&2; exit 1; \
	    fi; \
	    echo "interop-test: SKIPPED: the Python packages numpy, onnx, onnxruntime and safetensors are not installed (pip install onnxruntime onnx numpy safetensors)"; \
	else \
	    $(PYTHON) Tests/Interop/check_onnx.py --rnnkit $(DEBUG_BIN) Fixtures && \
	    $(PYTHON) Tests/Interop/check_user_fixture.py --rnnkit $(DEBUG_BIN); \
	fi
	@if ! KERAS_BACKEND=jax $(PYTHON) -c "import numpy, jax, keras, safetensors" 2>/dev/null; then \
	    if [ "$$CI" = "true" ]; then \
	        echo "interop-test: FAILED: CI=true needs the Python packages numpy, jax, keras and safetensors (pip install keras jax numpy safetensors)" >&2; exit 1; \
	    fi; \
	    echo "interop-test: SKIPPED Keras: the Python packages keras, jax and safetensors are not installed (pip install keras jax numpy safetensors)"; \
	else \
	    KERAS_BACKEND=jax $(PYTHON) Tests/Interop/check_keras.py --rnnkit $(DEBUG_BIN) Fixtures; \
	fi
	@if ! KERAS_BACKEND=jax $(PYTHON) -c "import numpy, h5py, safetensors, ml_dtypes, keras" 2>/dev/null; then \
	    if [ "$$CI" = "true" ]; then \
	        echo "interop-test: FAILED: CI=true needs the Python packages numpy, h5py, safetensors, ml_dtypes and keras (pip install h5py safetensors ml_dtypes numpy keras jax)" >&2; exit 1; \
	    fi; \
	    echo "interop-test: SKIPPED written formats: the Python packages h5py, safetensors, ml_dtypes and keras are not installed (pip install h5py safetensors ml_dtypes numpy keras jax)"; \
	else \
	    KERAS_BACKEND=jax $(PYTHON) scripts/check_written_formats.py; \
	fi

test: swift-test interop-test

demo: release
	@echo "== rnnkit inspect: a damaged file (a bidirectional LSTM missing one _reverse tensor) is diagnosed, exit 0"
	$(RELEASE_BIN) inspect Fixtures/problems/missing_reverse.h5
	@echo "== rnnkit inspect: a bidirectional 2-layer GRU and its shape flow for a (batch 32, seq 20, 100) input"
	$(RELEASE_BIN) inspect Fixtures/gru_2l_bi_batch_first/weights.h5 --input-shape 32,20,100 --batch-first
	@echo "== rnnkit verify: the engine against PyTorch's stored outputs, every fixture"
	$(RELEASE_BIN) verify Fixtures/

fixtures:
	KERAS_BACKEND=jax python3 scripts/make_fixtures.py

format-samples:
	python3 scripts/make_format_samples.py

bench-inspect: release
	scripts/bench_inspect_large.sh $(RELEASE_BIN)

bench-compare: release
	python3 scripts/bench_compare.py --rnnkit $(RELEASE_BIN) --markdown

bench-step:
	clang -O2 -ISources/CRNNKernels/include -ISources/CRNNKernels scripts/bench_step_kernel.c \
		Sources/CRNNKernels/*.c -ldnnl -lpthread -lm -o .build/bench_step
	OMP_NUM_THREADS=1 .build/bench_step 256 2

bench-convert: release
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE scripts/bench_convert.py $(RELEASE_BIN)

# Every reader's fuzz target, built once and run briefly so the harnesses keep
# building and the easy crashes stay found. Long runs: scripts/fuzz.sh READER SECONDS.
FUZZ_SMOKE_SECONDS ?= 20
fuzz-smoke: deps
	scripts/fuzz.sh all $(FUZZ_SMOKE_SECONDS)

clean:
	rm -rf .build Fuzz/.build
