# Two commands set everything up on a fresh machine: `make demo` and `make test`.
# Each creates .venv and installs what it needs (see pyproject.toml for the extras).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# peers (tf.keras 2, timm, pytorch-optimizer, Paddle; ≈2.8 GB, ≈2.6 min to install) keeps make test within 20 min
# from a fresh clone (nadam_ref/crosscheck/README.md, "Installation"); EXTRAS=dev,gpu,notebooks,crosscheck drops it.
EXTRAS ?= dev,gpu,notebooks,crosscheck,peers
STAMP  := $(VENV)/.installed
OUT    ?= demo-output

.PHONY: help venv test demo lint book book-check lab bench clean

help:
	@echo "make demo   - set up .venv and run the main demo (writes to $(OUT)/)"
	@echo "make test   - set up .venv and run the test suite"
	@echo "make lint   - ruff"
	@echo "make book   - build the Jupyter Book into book/_build/html"
	@echo "make book-check - check the built book in headless Chromium (needs Debian's chromium)"
	@echo "make lab    - open JupyterLab on notebooks/"
	@echo "make bench  - run the benchmarks against torch"

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[$(EXTRAS)]"
	touch $@

venv: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check .

demo: $(STAMP)
	$(PY) -m nadam_ref demo --out $(OUT)

book: $(STAMP)
	$(PY) -m pip install -q -e ".[book]"
	$(PY) -m nadam_ref.book_build

book-check: book
	$(PY) -m nadam_ref.book_check

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

bench: $(STAMP)
	$(PY) -m nadam_ref bench

clean:
	rm -rf $(VENV) $(OUT) book/_build .pytest_cache
