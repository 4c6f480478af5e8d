.PHONY: setup demo train test unit lint bench clean

setup:            ## create .venv and install Lossboard with its dev tools
	scripts/setup.sh

demo:             ## set up, train the demo sweeps into MLflow
	scripts/demo.sh

train: setup      ## train the demo sweeps again (ARGS="--seed 1" etc.)
	.venv/bin/lossboard train $(ARGS)

test:             ## the whole suite: lint, types, every test
	scripts/test.sh

unit: setup       ## fast tests only
	.venv/bin/pytest tests/unit

lint: setup       ## ruff, mypy and the import layering contracts
	.venv/bin/ruff check .
	.venv/bin/mypy
	.venv/bin/lint-imports --no-cache

bench: setup      ## benchmarks; each prints ratios against a baseline measured in the same run
	.venv/bin/python scripts/bench.py

clean:            ## remove the demo store and caches (keeps .venv)
	rm -rf mlflow.db mlruns mlartifacts lossboard-unsent .pytest_cache .mypy_cache .ruff_cache
