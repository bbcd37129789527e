# dataqa: two commands set everything up.
#   make demo   create .venv, install, run the audit demo on the bundled digits data
#   make test   create .venv if missing, install, run every test (numerical ones under two thread settings)
#   make bench  run every benchmark; exits non-zero naming those that missed a goal
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/python -m pip
STAMP  := $(VENV)/.installed
LS_VENV := .venv-ls
LS_PORT ?= 8089
ALIBI_VENV := .venv-alibi

.PHONY: demo test bench lint constraints labelstudio labelstudio-install chromium-install drift-anchors-install clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet -c constraints/main.txt --upgrade pip

# torch first, pinned: 2.13.0 resolves to the CPU build kept on these machines, and with it
# installed nothing below pulls another (multi-GB CUDA) torch build. dataqa/__init__.py
# holds the version that the installed metadata carries.
$(STAMP): pyproject.toml dataqa/__init__.py constraints/main.txt | $(PY)
	$(PIP) install --quiet -c constraints/main.txt torch==2.13.0
	$(PIP) install --quiet -c constraints/main.txt -e ".[labelstudio,dask,text,dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/dataqa demo --out demo_out

# Every test with one BLAS/OpenMP thread, then the numerical tests again with the library
# defaults (as many threads as cores): tolerances must hold under both.
NUMERIC_TESTS := tests/ood tests/audit tests/weak tests/active tests/drift tests/test_stats.py tests/test_features.py
TEST_ENV := LABEL_STUDIO_BIN=$(CURDIR)/$(LS_VENV)/bin/label-studio

test: $(STAMP) labelstudio-install chromium-install
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(TEST_ENV) $(PY) -m pytest -q
	@echo "--- numerical tests again with the default thread settings ---"
	env -u OMP_NUM_THREADS -u OPENBLAS_NUM_THREADS -u MKL_NUM_THREADS $(TEST_ENV) $(PY) -m pytest -q $(NUMERIC_TESTS)

# The report test opens an audit report in headless Chromium (Debian's package); installed
# here when missing. Without it that test skips locally and fails under CI=true.
chromium-install:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	  || echo "warning: chromium could not be installed; the report's browser test will skip (fail under CI=true)"; }

# pytorch-ood is only the OOD benchmark's reference (its detectors need no torchvision).
$(VENV)/.ood-reference: $(STAMP) constraints/main.txt
	$(PIP) install --quiet -c constraints/main.txt --no-deps pytorch-ood
	touch $@

bench: $(STAMP) $(VENV)/.ood-reference labelstudio-install drift-anchors-install
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 LABEL_STUDIO_BIN=$(CURDIR)/$(LS_VENV)/bin/label-studio $(PY) benchmarks/run_all.py $(BENCH_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# Label Studio lives in its own environment: it pins Django and friends, not all of what it
# imports (sentry-sdk 3 made 1.23 exit at start-up), hence the constraints file.
$(LS_VENV)/.installed: constraints/labelstudio.txt
	$(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/python -m pip install --quiet -c constraints/labelstudio.txt --upgrade pip
	$(LS_VENV)/bin/python -m pip install --quiet -c constraints/labelstudio.txt "label-studio==1.23.*"
	touch $@

labelstudio-install: $(LS_VENV)/.installed

# constraints/*.txt hold the versions (pip and setuptools included) the tests and benchmarks
# last passed with; every install goes through them, so a new release upstream cannot break a
# fresh checkout. To move to newer versions: delete the lines of the packages to upgrade (or
# all but the comments), remove the environment (rm -rf .venv), `make test`, then `make
# constraints` writes the environments' versions back (a file is rewritten only if changed).
define freeze
{ grep '^#' $(2); $(1)/bin/python -m pip freeze --all --exclude-editable | sed 's/+cpu$$//' \
  | sort -f; } > $(2).new; grep -q '^pip==' $(2).new || { rm $(2).new; \
  echo "pip freeze in $(1) gave nothing; $(2) left as it was" >&2; exit 1; }; \
  if cmp -s $(2).new $(2); then rm $(2).new; else mv $(2).new $(2); fi
endef

constraints: $(STAMP) $(VENV)/.ood-reference labelstudio-install
	$(call freeze,$(VENV),constraints/main.txt)
	$(call freeze,$(LS_VENV),constraints/labelstudio.txt)
	if [ -x $(ALIBI_VENV)/bin/python ]; then $(call freeze,$(ALIBI_VENV),constraints/alibi.txt); fi

# alibi-detect is only the drift benchmark's reference (benchmarks/_drift_anchor.py runs in it and
# exchanges samples through .npz files). It pins numpy < 2 and pulls transformers and OpenCV, so it
# gets its own environment and is never imported in $(VENV); torch pinned as above (CPU build).
$(ALIBI_VENV)/.installed: constraints/alibi.txt
	$(PYTHON) -m venv $(ALIBI_VENV)
	$(ALIBI_VENV)/bin/python -m pip install --quiet -c constraints/alibi.txt --upgrade pip
	$(ALIBI_VENV)/bin/python -m pip install --quiet -c constraints/alibi.txt torch==2.13.0 "alibi-detect[torch]==0.13.0"
	touch $@

drift-anchors-install: $(ALIBI_VENV)/.installed

# Projects and the saved password/key stay in build/labelstudio (LS_DATA=... to move it);
# it prints the URL, the user and the password file. Password: $DATAQA_LS_PASSWORD or random.
labelstudio: labelstudio-install $(STAMP)
	LABEL_STUDIO_BIN=$(CURDIR)/$(LS_VENV)/bin/label-studio $(PY) -m dataqa.labelstudio.server --port $(LS_PORT) --data-dir $(or $(LS_DATA),$(CURDIR)/build/labelstudio)

clean:
	rm -rf $(VENV) $(LS_VENV) $(ALIBI_VENV) demo_out bench_out .pytest_cache
