# dataqa: two commands set everything up.
#   make demo   create .venv, install, run the audit demo on the bundled digits data
#   make test   create .venv if missing, install, run every test
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/python -m pip
STAMP  := $(VENV)/.installed
LS_VENV := .venv-ls
LS_PORT ?= 8089

.PHONY: demo test bench lint labelstudio labelstudio-install clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# torch first, pinned: 2.13.0 resolves to the CPU build kept on these machines, and with it
# installed nothing below pulls another (multi-GB CUDA) torch build.
$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e ".[labelstudio,dask,text,dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/dataqa demo --out demo_out

test: $(STAMP) labelstudio-install
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 LABEL_STUDIO_BIN=$(CURDIR)/$(LS_VENV)/bin/label-studio $(PY) -m pytest -q

# pytorch-ood is only the OOD benchmark's reference (its detectors need no torchvision).
bench: $(STAMP) labelstudio-install
	$(PIP) install --quiet --no-deps pytorch-ood
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 LABEL_STUDIO_BIN=$(CURDIR)/$(LS_VENV)/bin/label-studio $(PY) benchmarks/run_all.py $(BENCH_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# Label Studio lives in its own environment: it pins Django and friends.
$(LS_VENV)/bin/label-studio:
	$(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LS_VENV)/bin/python -m pip install --quiet "label-studio==1.23.*"

labelstudio-install: $(LS_VENV)/bin/label-studio

labelstudio: labelstudio-install $(STAMP)
	LABEL_STUDIO_BIN=$(CURDIR)/$(LS_VENV)/bin/label-studio $(PY) -m dataqa.labelstudio.server --port $(LS_PORT)

clean:
	rm -rf $(VENV) $(LS_VENV) demo_out bench_out .pytest_cache
