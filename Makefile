# One entry point for people and CI. `make test` installs what it needs into ./venv on first run
# (the virtualenv Pulumi.yaml names, so `pulumi up` uses the same packages).
PYTHON ?= python3
VENV := venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test install docs clean

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

docs: $(STAMP)
	$(PY) -m workshop.docs

clean:
	rm -rf $(VENV) build .pytest_cache
