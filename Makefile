# The two entry points. Both install what they need on a fresh Debian 12 machine with Node 20 and npm.
SHELL := /bin/bash
export npm_config_nodedir := /usr

.PHONY: demo test

## make demo — the main job: the end-to-end demo on the examples
demo:
	@bash scripts/install.sh
	@node_modules/.bin/tsx packages/cli/src/main.ts demo

## make test — generated code, types, lint, and every package's tests against a real nats-server
test:
	@bash scripts/test.sh
