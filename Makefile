# aicloud — the two commands a new machine needs: `make demo` and `make test`.
# Each installs what it needs (Debian packages with apt, Python packages in .venv).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# python3-venv for the virtualenv; podman, runc, debootstrap and openssh-client for the lab.
APT_PACKAGES := python3 python3-venv python3-pip podman runc debootstrap openssh-client
LAB_NAME ?= demo

.PHONY: demo test lint unit deps apt bench clean-demo schema

apt:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

deps: apt $(VENV)/.installed

# The main job on the lab: bring up the lab, then validate and plan its answer file.
demo: deps
	$(BIN)/aicloud lab up --nodes 3 --name $(LAB_NAME)
	$(BIN)/aicloud validate -f $${AICLOUD_HOME:-$$HOME/.aicloud}/lab/$(LAB_NAME)/site.yaml
	$(BIN)/aicloud plan -f $${AICLOUD_HOME:-$$HOME/.aicloud}/lab/$(LAB_NAME)/site.yaml
	@echo "Lab '$(LAB_NAME)' is up. Remove it with: $(BIN)/aicloud lab down --name $(LAB_NAME)"

clean-demo: deps
	$(BIN)/aicloud lab down --name $(LAB_NAME)

lint: $(VENV)/.installed
	$(BIN)/ruff check installer tui tests bench
	$(BIN)/yamllint --strict .
	@if compgen -G 'playbooks/*.yml' >/dev/null || compgen -G 'roles/*/tasks/main.yml' >/dev/null; then \
	  $(BIN)/ansible-lint --strict playbooks roles; \
	else echo "ansible-lint: no playbooks or roles yet"; fi

unit: $(VENV)/.installed
	$(BIN)/pytest -q -m 'not lab'

test: deps lint
	$(BIN)/pytest -q

bench: deps
	$(PY) bench/validate.py
	$(PY) bench/lab.py

schema: $(VENV)/.installed
	$(BIN)/aicloud schema > schema/site.schema.json
	$(BIN)/aicloud schema --markdown > docs/answer-file.md
