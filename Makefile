# isudt — common tasks. `make test` is what CI runs.
PY ?= python3
PIP ?= $(PY) -m pip

.PHONY: install install-dev install-train serve test test-fast train export eval bench clean patch-pictures

install:            ## the daemon and its runtime deps
	$(PIP) install -q .

install-dev:        ## editable install + test deps (torch for the model tests)
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e ".[test,train]"

serve: install
	isudt serve

test:               ## the whole suite (installs what it needs; starts jackd itself)
	bash .ci/setup.sh
	$(PY) -m mypy daemon models
	$(PY) -m pytest -q -ra

test-fast:          ## tests that start no process (no daemon, jackd, Pd, compiler) and are not slow
	$(PY) -m pytest -q -ra -m "not process and not slow"

train:              ## retrain all four stages from scratch (resumable)
	isudt train all --resume

export:             ## checkpoints -> exported/ (ONNX + manifest + metrics)
	isudt export

eval:
	isudt eval --out docs/eval

bench:
	$(PY) bench/bench_daemon.py
	$(PY) bench/bench_floor.py

patch-pictures:     ## real Pd GUI screenshots of pd/*.pd under Xvfb -> docs/patches/pd_*.png (apt: puredata-gui xvfb imagemagick)
	$(PY) tests/support/pd_gui.py docs/patches

clean:
	rm -rf build *.egg-info .pytest_cache
