#!/usr/bin/env bash
# `make test`: install, check generated code, type-check, lint, then every package's tests against a real
# nats-server on a free loopback port. Ends with one line `N passed, M failed` (CI reads it).
set -uo pipefail
cd "$(dirname "$0")/.."
export npm_config_nodedir=/usr
bash scripts/install.sh || exit 1

passed=0
failed=0
check() { # name, command...
  local name=$1
  shift
  if "$@"; then
    echo "ok: $name"
    passed=$((passed + 1))
  else
    echo "FAILED: $name"
    failed=$((failed + 1))
  fi
}

gen_fresh() {
  local tmp
  tmp=$(mktemp -d)
  node_modules/.bin/buf generate -o "$tmp" &&
    diff -r "$tmp/packages/proto/src/gen" packages/proto/src/gen >/dev/null ||
    { echo "generated code in packages/proto/src/gen is stale: run 'pnpm gen' and commit the result" >&2; rm -rf "$tmp"; return 1; }
  rm -rf "$tmp"
}
check "generated protobuf code is up to date" gen_fresh
check "typecheck (tsc)" node_modules/.bin/tsc -p tsconfig.json
check "lint (biome) and dependency graph" bash -c 'node_modules/.bin/biome check . && node_modules/.bin/tsx scripts/check-deps.ts'

security_suite() {
  local out status
  out=$(mktemp)
  node_modules/.bin/tsx scripts/security.ts --json >"$out" 2>/dev/null
  status=$?
  grep -v '"refused":true' "$out" | grep '"area"' >&2 || true
  echo "attack suite: $(tail -n 1 "$out")"
  rm -f "$out"
  return "$status"
}
check "security attack suite (pnpm security: every attempt refused, no crash, no data lost)" security_suite

nats_pid=""
cleanup() {
  if [ -n "$nats_pid" ]; then
    kill "$nats_pid" 2>/dev/null || true
    wait "$nats_pid" 2>/dev/null || true
  fi
  [ -n "${nats_dir:-}" ] && rm -rf "$nats_dir"
  if [ -n "${pg_pid:-}" ]; then
    kill -INT "$pg_pid" 2>/dev/null || true
    wait "$pg_pid" 2>/dev/null || true
  fi
  [ -n "${pg_dir:-}" ] && rm -rf "$pg_dir" "$pg_dir.log"
}
trap cleanup EXIT
if command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ]; then
  # The server picks its own port (-p -1); we read it back from its log, which stays until the end of the run.
  nats_dir=$(mktemp -d)
  PATH="$PATH:/usr/sbin" nats-server -a 127.0.0.1 -p -1 -js -sd "$nats_dir/store" -l "$nats_dir/nats-server.log" &
  nats_pid=$!
  port=""
  for _ in $(seq 1 200); do
    port=$(sed -n 's/.*Listening for client connections on [^ ]*:\([0-9]*\).*/\1/p' "$nats_dir/nats-server.log" 2>/dev/null | head -1)
    [ -n "$port" ] && break
    sleep 0.05
  done
  if [ -n "$port" ]; then
    export QONNECT_TEST_NATS_URL="nats://127.0.0.1:$port"
    echo "nats-server pid $nats_pid on $QONNECT_TEST_NATS_URL (log: $nats_dir/nats-server.log)"
  else
    echo "nats-server did not start; tests start their own. Its log:" >&2
    cat "$nats_dir/nats-server.log" >&2 2>/dev/null || true
  fi
fi

# a real PostgreSQL for the Knowledge Base's store suite (packages/kb): initdb + postgres as the postgres user
pg_pid=""
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -n "$pg_bin" ] && [ -x "$pg_bin/postgres" ]; then
  pg_dir=$(mktemp -d)
  pg_port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  as_pg=()
  [ "$(id -u)" -eq 0 ] && { chown postgres:postgres "$pg_dir"; as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups); }
  "${as_pg[@]}" "$pg_bin/initdb" -D "$pg_dir" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
  "${as_pg[@]}" "$pg_bin/postgres" -D "$pg_dir" -p "$pg_port" -k "$pg_dir" -c listen_addresses=127.0.0.1 \
    >"$pg_dir.log" 2>&1 &
  pg_pid=$!
  for _ in $(seq 1 100); do grep -q "ready to accept connections" "$pg_dir.log" 2>/dev/null && break; sleep 0.2; done
  export QONNECT_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$pg_port/postgres"
  echo "postgres pid $pg_pid on $QONNECT_TEST_POSTGRES_URL"
fi

report=$(mktemp)
node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile="$report"
vitest_status=$?
read -r tests_passed tests_failed < <(node -e '
  const fs = require("fs");
  try {
    const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    console.log(r.numPassedTests, r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0));
  } catch { console.log(0, 1); }' "$report")
[ "$vitest_status" -ne 0 ] && [ "$tests_failed" -eq 0 ] && tests_failed=1
if [ "$tests_failed" -ne 0 ] && [ -n "${nats_dir:-}" ] && [ -f "$nats_dir/nats-server.log" ]; then
  echo "--- the shared nats-server's warnings and errors (last 20) ---"
  grep -E '\[(ERR|WRN|FTL)\]' "$nats_dir/nats-server.log" | tail -n 20
fi
# the failed tests last, so that a CI log's tail names them
if [ "$tests_failed" -ne 0 ]; then
  echo "--- failed tests ---"
  node -e '
    const fs = require("fs");
    try {
      const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
      for (const file of r.testResults ?? []) {
        const rel = file.name.replace(process.cwd() + "/", "");
        if (file.status === "failed" && (file.assertionResults ?? []).every((t) => t.status !== "failed")) {
          console.log(`${rel}: ${String(file.message ?? "suite failed").split("\n")[0].slice(0, 300)}`);
        }
        for (const t of file.assertionResults ?? []) {
          if (t.status !== "failed") continue;
          const why = String((t.failureMessages ?? [])[0] ?? "").split("\n")[0].slice(0, 300);
          console.log(`${rel} > ${t.fullName}: ${why}`);
        }
      }
    } catch (e) { console.log(`(the vitest report could not be read: ${e.message})`); }' "$report"
fi
rm -f "$report"

passed=$((passed + tests_passed))
failed=$((failed + tests_failed))
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
