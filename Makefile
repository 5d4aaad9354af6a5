# One entry point for people and CI. Every target installs what it needs into ./venv on first run
# (the virtualenv Pulumi.yaml names, so `pulumi up` uses the same packages).
PYTHON ?= python3
VENV := venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test install docs plan plan-diff clean

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

# make plan                 every stack;  make plan STACK=dev   one stack
plan: $(STAMP)
	$(PY) -m offline.plan $(if $(STACK),--stack $(STACK))

# make plan-diff STACK=dev [BASE=origin/main]: what this branch changes against its merge base
BASE ?= main
plan-diff: $(STAMP)
	$(PY) -m offline.plan --stack $(or $(STACK),dev) --against-ref $(BASE)

docs: $(STAMP)
	$(PY) -m workshop.docs

clean:
	rm -rf $(VENV) build .pytest_cache
