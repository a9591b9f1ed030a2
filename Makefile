# Flow Logic — every target sets itself up on a fresh machine (Python 3.11 only).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO_HOME := $(CURDIR)/.demo-home

.PHONY: install demo test check lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## The main job on the bundled, licence-clean sample (its own data folder, .demo-home).
demo: install
	@echo "== Flow Logic demo: scoring data/samples/pose_squats.mp4 as an overhead squat (front view)"
	FLOWLOGIC_HOME=$(DEMO_HOME) $(BIN)/flowlogic consent --accept
	FLOWLOGIC_HOME=$(DEMO_HOME) $(BIN)/flowlogic score data/samples/pose_squats.mp4 \
		--test overhead-squat --view front
	FLOWLOGIC_HOME=$(DEMO_HOME) $(BIN)/flowlogic history

## The whole suite, one worker per core (each test has its own data folder).
test: install
	$(BIN)/python -m pytest -n auto

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: lint test

## Frames per second of our pipeline against a plain per-frame loop, and cached rescoring.
bench: install
	$(BIN)/python bench/bench_pipeline.py
	$(BIN)/python bench/bench_batch.py --repeat 3
	FLOWLOGIC_HOME=$$(mktemp -d) $(BIN)/python bench/bench_recording.py data/samples/pose_squats.mp4

clean:
	rm -rf $(VENV) $(DEMO_HOME) .pytest_cache .ruff_cache *.egg-info
