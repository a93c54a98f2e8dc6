# parlqa: `make run` sets up and starts the chat over the default corpus; `make test` sets up and runs the tests.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run setup setup-test test index stats lint eval bench models-base

run: setup
	$(VENV)/bin/parlqa chat

setup:
	scripts/setup.sh

setup-test:
	scripts/setup.sh --test

test: setup-test
	$(PY) -m pytest

index: setup
	$(VENV)/bin/parlqa index

stats:
	$(VENV)/bin/parlqa stats

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check corpus index qa ui eval parlqa cli tests bench scripts

eval:
	$(VENV)/bin/parlqa eval --set default --set commons

bench: setup
	$(PY) bench/encoder_compare.py
	$(PY) bench/index_scale.py --docs 5000 --keep .parlqa/bench-5k
	$(PY) bench/query_latency.py --data-dir .parlqa/bench-5k
	$(PY) bench/freshness.py --data-dir .parlqa/bench-5k
	$(PY) bench/chat_memory.py --data-dir .parlqa/bench-5k

models-base:
	VENV=$(VENV) scripts/install_models.sh base
