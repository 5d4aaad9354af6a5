# One entry point for people and CI. Every target installs what it needs first: ./venv (the virtualenv
# Pulumi.yaml names, so `pulumi up` uses the same packages) and policies/venv (the one PulumiPolicy.yaml
# names), each exactly as its uv.lock records (scripts/install.py: pinned uv, atomic, one at a time).
PYTHON ?= python3
PY := venv/bin/python
# uv installs no bytecode (pip compiled all of it): each module is compiled on its first import and
# kept. With PYTHONDONTWRITEBYTECODE set, every run would compile pulumi_aws's modules again (a plan
# takes twice as long), so make's own runs write the cache.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: test install lock lock-check lint docs plan plan-diff class bench scan deploy-policy clean

install:
	@$(PYTHON) scripts/install.py

# After changing a pin in pyproject.toml or policies/pyproject.toml: rewrite both locks, then commit them.
lock:
	UV_PYTHON_DOWNLOADS=never $$($(PYTHON) scripts/install.py --print-uv) lock --project .
	UV_PYTHON_DOWNLOADS=never $$($(PYTHON) scripts/install.py --print-uv) lock --project policies
	UV_PYTHON_DOWNLOADS=never $$($(PYTHON) scripts/install.py --print-uv) lock --project tools/scan

# CI: fails while a lock no longer matches its pyproject.toml, naming the command that fixes it.
lock-check:
	@$(PYTHON) scripts/install.py --check

test: install
	$(PY) -m pytest -q

# ruff and mypy as pyproject.toml configures them; the pack's entry point is its own __main__, checked apart.
lint: install
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m mypy policies/__main__.py

# make plan                 every stack;  make plan STACK=dev   one stack (STACK="dev prod": those)
# AS_OF=YYYY-MM-DD judges support windows and prices on that date; AGAINST=<plan file> diffs against it
plan: install
	$(PY) -m offline.plan $(foreach s,$(STACK),--stack $(s)) $(if $(AS_OF),--as-of $(AS_OF)) $(if $(AGAINST),--against $(AGAINST))

# make plan-diff STACK=dev [BASE=origin/main]: what this branch changes against its merge base
BASE ?= main
plan-diff: install
	$(PY) -m offline.plan --stack $(or $(STACK),dev) --against-ref $(BASE)

# make class N=30 TEMPLATE=dev ACCOUNTS=111111111111,222222222222 [PREFIX=class]: a workshop event's stack
# files, one per participant, spread over the accounts so their quotas hold (offline/make_class.py)
class: install
	$(PY) -m offline.make_class --count $(N) --template $(or $(TEMPLATE),dev) --accounts $(ACCOUNTS) $(if $(PREFIX),--prefix $(PREFIX))

# Every generated part of the docs (offline/docs.py); tests/test_docs.py fails while one is stale.
docs: install
	$(PY) -m offline.docs

# Figures for README: make test and a fresh clone's first make plan against a warm make plan.
bench: install
	$(PY) bench/suite_benchmark.py

# make deploy-policy STACK=dev: build/iam/<stack>/preview-N.json and deploy-N.json, the roles' IAM policies
# from the stack's plan (offline/deploy_policy.py); every stack without STACK
deploy-policy: install
	$(PY) -m offline.deploy_policy $(foreach s,$(STACK),--stack $(s))

# Checkov over every stack's plan (offline/scan.py): prod must be clean; elsewhere each finding is accepted
# with its reason in offline/scan_accepted.json. Installs tools/scan/venv first (checkov, its own environment).
scan: install
	@$(PYTHON) scripts/install.py --with scan
	$(PY) -m offline.scan $(if $(STACK),--stack $(STACK))

clean:
	rm -rf venv policies/venv tools/scan/venv build .pytest_cache .mypy_cache .ruff_cache .tools
