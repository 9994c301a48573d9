# rnnkit — build, test and demo entry points. `make help` lists them.

SWIFT        ?= swift
RELEASE_BIN  := .build/release/rnnkit
APT_PACKAGES := libhdf5-dev zlib1g-dev libopenblas-dev pkg-config

.PHONY: help deps build release test swift-test demo fixtures clean format-samples bench-inspect

help:
	@echo "make demo      install missing system packages, build, inspect and verify the bundled fixtures"
	@echo "make test      build and run every test (the command CI runs)"
	@echo "make release   build .build/release/rnnkit"
	@echo "make fixtures  regenerate Fixtures/ with real PyTorch, Keras 3 (jax) and ONNX (run by hand, never in CI)"
	@echo "make format-samples  regenerate Fixtures/formats/ with numpy, h5py and safetensors (by hand)"
	@echo "make bench-inspect   time rnnkit inspect on 1 GiB safetensors and .npy files (benchmark, not a test)"

# Installs the C libraries rnnkit links (libhdf5, OpenBLAS) when pkg-config cannot find them.
deps:
	@scripts/install-deps.sh $(APT_PACKAGES)

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

swift-test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

test: swift-test

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

clean:
	rm -rf .build
