#!/usr/bin/env bash
# Regenerates packages/proto/src/gen from proto/ with buf + ts-proto. Never edit the output by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
out=packages/proto/src/gen
rm -rf "$out"
node_modules/.bin/buf generate
echo "generated $(find "$out" -name '*.ts' | wc -l) files into $out"
