# One entry point for people and CI. Every target installs what it needs on first run: ./venv (the
# virtualenv Pulumi.yaml names, so `pulumi up` uses the same packages) and policies/venv (the one
# PulumiPolicy.yaml names: the Pulumi CLI runs the policy pack with it and creates none itself).
PYTHON ?= python3
VENV := venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PACK_VENV := policies/venv
PACK_STAMP := $(PACK_VENV)/.installed
PIP_FLAGS := --quiet --disable-pip-version-check

.PHONY: test install docs plan plan-diff clean

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	@echo "installing the program's packages into $(VENV) (first run: about a minute)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install $(PIP_FLAGS) -r requirements-dev.txt -c constraints.txt
	touch $(STAMP)

$(PACK_STAMP): policies/requirements.txt constraints.txt
	@echo "installing the policy pack's packages into $(PACK_VENV)"
	$(PYTHON) -m venv $(PACK_VENV)
	$(PACK_VENV)/bin/python -m pip install $(PIP_FLAGS) -r policies/requirements.txt -c constraints.txt
	touch $(PACK_STAMP)

install: $(STAMP) $(PACK_STAMP)

test: install
	$(PY) -m pytest -q

# make plan                 every stack;  make plan STACK=dev   one stack
plan: install
	$(PY) -m offline.plan $(if $(STACK),--stack $(STACK))

# make plan-diff STACK=dev [BASE=origin/main]: what this branch changes against its merge base
BASE ?= main
plan-diff: install
	$(PY) -m offline.plan --stack $(or $(STACK),dev) --against-ref $(BASE)

docs: $(STAMP)
	$(PY) -m workshop.docs

clean:
	rm -rf $(VENV) $(PACK_VENV) build .pytest_cache
