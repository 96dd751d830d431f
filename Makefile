# The two entry points. Both install what they need on a fresh Debian 12 machine with Node 20 and npm.
SHELL := /bin/bash
export npm_config_nodedir := /usr

.PHONY: demo test install

## make demo — the main job: the end-to-end demo on the examples
demo:
	@bash scripts/install.sh
	@node_modules/.bin/tsx scripts/build-cli.ts >/dev/null
	@node dist/cli/qonnect.mjs demo

## make test — generated code, types, lint, and every package's tests against a real nats-server
test:
	@bash scripts/test.sh

## make install — `qonnect` on PATH: bundles the CLI into dist/cli/qonnect.mjs and links $(BINDIR)/qonnect to it
BINDIR ?= /usr/local/bin
install:
	@bash scripts/install.sh
	@node_modules/.bin/tsx scripts/build-cli.ts
	@mkdir -p "$(BINDIR)" && ln -sf "$(CURDIR)/dist/cli/qonnect.mjs" "$(BINDIR)/qonnect" || \
		{ echo "cannot write $(BINDIR): run 'sudo make install' or 'make install BINDIR=~/.local/bin'" >&2; exit 1; }
	@echo "installed $(BINDIR)/qonnect -> $(CURDIR)/dist/cli/qonnect.mjs (run 'make install' again after pulling)"
