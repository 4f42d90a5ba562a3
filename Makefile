# aicloud — the two commands a new machine needs: `make demo` and `make test`.
# Each installs what it needs (Debian packages with apt, Python packages in .venv).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# python3-venv for the virtualenv; podman, runc, debootstrap, openssh-client for the lab, with
# netavark and aardvark-dns (podman may come with CNI instead, whose DNS refuses internal
# networks: lab hosts would not resolve each other's names; installer/lab/podman.py);
# apt-utils (apt-ftparchive), skopeo, rsync, gpg to build and serve the offline bundle.
APT_PACKAGES := python3 python3-venv python3-pip podman runc netavark aardvark-dns debootstrap openssh-client apt-utils skopeo rsync gpg
LAB_NAME ?= demo

.PHONY: demo test lint unit deps apt host-limits bench clean-demo schema

apt:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

# Every lab host runs systemd, which takes inotify instances; the kernel's default of 128 per
# user stops about a dozen hosts from booting (kind documents the same limit). Raise, never lower.
host-limits:
	@for kv in fs.inotify.max_user_instances=1024 fs.inotify.max_user_watches=524288; do \
	  key=$${kv%%=*}; want=$${kv#*=}; have=$$(sysctl -n $$key); \
	  if [ "$$have" -lt "$$want" ]; then echo "raising $$key from $$have to $$want"; $(SUDO) sysctl -q -w $$kv; fi; \
	done

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

deps: apt host-limits $(VENV)/.installed

HOME_DIR = $${AICLOUD_HOME:-$$HOME/.aicloud}
LAB_RELEASE ?= lab-2026.11

# The main job on the lab: an air-gapped 3-node site, its offline bundle built from Debian's
# packages, then the install (preflight, bundle served from the deploy host, OS baseline, time
# sync, containerd), then the same install again, which changes nothing.
demo: deps
	$(BIN)/aicloud lab up --nodes 3 --name $(LAB_NAME)
	$(BIN)/aicloud validate -f $(HOME_DIR)/lab/$(LAB_NAME)/site.yaml
	$(BIN)/aicloud plan -f $(HOME_DIR)/lab/$(LAB_NAME)/site.yaml
	$(BIN)/aicloud bundle build --release $(LAB_RELEASE) --os debian-12 --out $(HOME_DIR)/bundles/$(LAB_RELEASE)
	$(BIN)/aicloud install -f $(HOME_DIR)/lab/$(LAB_NAME)/site.yaml --yes
	$(BIN)/aicloud install -f $(HOME_DIR)/lab/$(LAB_NAME)/site.yaml --yes
	@echo "Lab '$(LAB_NAME)' is installed. Remove it with: $(BIN)/aicloud lab down --name $(LAB_NAME)"

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

# Unit and TUI tests in parallel, then the lab tests (real hosts; one lab per session).
test: deps lint
	$(BIN)/pytest -q -n 2 -m 'not lab'
	$(BIN)/pytest -q -m lab

bench: deps
	$(PY) bench/validate.py
	$(PY) bench/lab.py

schema: $(VENV)/.installed
	$(BIN)/aicloud schema > schema/site.schema.json
	$(BIN)/aicloud schema --markdown > docs/answer-file.md
