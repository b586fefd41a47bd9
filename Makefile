# Each target creates .venv and installs only what it needs (see pyproject.toml for the extras):
#   make demo, make lab      the core and the notebooks extra (no torch, jax, keras or CuPy)
#   make test                everything: dev, gpu, notebooks, crosscheck, peers, dask
#   make book                the test set plus the book and lite extras (the lite extra builds the JupyterLite site)
#   make lite                the dev and lite extras (the JupyterLite site alone)
# A stamp per extra set (.venv/.installed-<extras>) records what is installed; pyproject.toml changes redo it.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
OUT    ?= demo-output
LAB_PORT ?= 8888
LIGHT  := notebooks
# peers (tf.keras 2, timm, pytorch-optimizer, Paddle; ≈2.8 GB, ≈2.6 min to install) keeps make test within 20 min
# from a fresh clone (nadam_ref/crosscheck/README.md, "Installation"); FULL=dev,gpu,notebooks,crosscheck drops it.
FULL   ?= dev,gpu,notebooks,crosscheck,peers,dask

.PHONY: help venv test demo lint book book-check lite lite-check lab bench clean

help:
	@echo "make demo   - set up .venv and run the main demo (writes to $(OUT)/)"
	@echo "make test   - set up .venv and run the test suite"
	@echo "make lint   - ruff"
	@echo "make book   - build the Jupyter Book into book/_build/html, the JupyterLite site into book/_build/html/lite"
	@echo "make book-check - check the built book in headless Chromium (needs Debian's chromium)"
	@echo "make lite   - build only the notebooks as a JupyterLite site (Python in the browser, nothing to install)"
	@echo "make lite-check - run notebook 1 of the JupyterLite site in headless Chromium"
	@echo "make lab    - JupyterLab on notebooks/ at http://127.0.0.1:$(LAB_PORT)/lab?token=... (printed; also as root)"
	@echo "make bench  - run the benchmarks against torch"

$(VENV)/.installed-%: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[$*]"
	touch $@

venv: $(VENV)/.installed-$(FULL)

# The notebooks run in a pytest process of their own: the suite's process has loaded TensorFlow, Paddle, torch,
# JAX and Dask by then, and one notebook's kernel once stopped answering nbclient there (a hang, not a failure).
test: $(VENV)/.installed-$(FULL)
	$(PY) -m pytest -q -p no:cacheprovider tests
	$(PY) -m pytest -q -p no:cacheprovider notebooks

lint: $(VENV)/.installed-$(FULL)
	$(VENV)/bin/ruff check .

demo: $(VENV)/.installed-$(LIGHT)
	$(PY) -m nadam_ref demo --out $(OUT)

book: $(VENV)/.installed-$(FULL),book,lite
	$(PY) -m tools.book_build
	$(PY) -m tools.lite_build

book-check: book
	$(PY) -m tools.book_check

# The site needs no kernel of ours: Pyodide runs the notebooks in the reader's browser (tools/lite_build.py).
lite: $(VENV)/.installed-dev,lite
	$(PY) -m tools.lite_build

lite-check: lite
	$(PY) -m pytest -q -p no:cacheprovider tests/test_lite.py

# --allow-root: containers, CI and many class machines run as root; the server listens on localhost only.
# The token stays (without it any local program could run code in the kernels), but a fresh one is made here and
# the address with it printed first; port_retries=0: a taken port is an error, not a silent move to another one.
lab: $(VENV)/.installed-$(LIGHT)
	@token=$$($(PY) -c "import secrets; print(secrets.token_hex(16))"); \
	echo "JupyterLab: open http://127.0.0.1:$(LAB_PORT)/lab?token=$$token   (Ctrl-C stops it)"; \
	$(VENV)/bin/jupyter lab notebooks/ --allow-root --ip=127.0.0.1 --port=$(LAB_PORT) --no-browser \
		--ServerApp.port_retries=0 --IdentityProvider.token=$$token

bench: $(VENV)/.installed-$(FULL)
	$(PY) -m nadam_ref bench

clean:
	rm -rf $(VENV) $(OUT) book/_build .pytest_cache
