#!/bin/sh
# Stand-in supervisor for the test boards (network namespaces without systemd as PID 1). It implements the
# service-manager verbs qonnect-board.sh uses — restart, stop, start, enable, is-enabled, is-active,
# daemon-reload — from the same unit file and drop-ins systemd would read: the last ExecStart=,
# Environment= and StateDirectory=. It does not switch users (User=) and does not restart on exit.
# An arm64 ExecStart binary runs through an explicit qemu-aarch64-static wrapper on an x86-64 host.
set -eu
UNIT_DIR=/etc/systemd/system
STATE=/run/qonnect-standin

unit_lines() { # UNIT: the unit, then its drop-ins in order
  cat "$UNIT_DIR/$1.service"
  for f in "$UNIT_DIR/$1.service.d"/*.conf; do [ -f "$f" ] && cat "$f"; done
  return 0
}

pid_of() { cat "$STATE/$1.pid" 2>/dev/null || true; }

is_active() {
  pid=$(pid_of "$1")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

stop() {
  pid=$(pid_of "$1")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    i=0
    while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100 ]; do
      sleep 0.1
      i=$((i + 1))
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$STATE/$1.pid"
}

start() {
  exec_line=$(unit_lines "$1" | sed -n 's/^ExecStart=//p' | tail -n1)
  [ -n "$exec_line" ] || { echo "standin: $1 has no ExecStart" >&2; exit 1; }
  for d in $(unit_lines "$1" | sed -n 's/^StateDirectory=//p'); do mkdir -p "/var/lib/$d"; done
  for e in $(unit_lines "$1" | sed -n 's/^Environment=//p'); do export "${e?}"; done
  # shellcheck disable=SC2086 # the unit's words, as systemd splits them
  set -- $exec_line
  bin=${1#[-@:+!]}
  shift
  mkdir -p "$STATE" /var/log
  if [ "$(od -An -tx1 -j18 -N1 "$bin" 2>/dev/null | tr -d ' ')" = b7 ] && [ "$(uname -m)" != aarch64 ]; then
    setsid qemu-aarch64-static -L /usr/aarch64-linux-gnu "$bin" "$@" >>"/var/log/qonnect-standin.log" 2>&1 </dev/null &
  else
    setsid "$bin" "$@" >>"/var/log/qonnect-standin.log" 2>&1 </dev/null &
  fi
  echo $! >"$STATE/$UNIT.pid"
}

verb=$1
UNIT=${2:-}
UNIT=${UNIT%.service}
case "$verb" in
  start) is_active "$UNIT" || start "$UNIT" ;;
  stop) stop "$UNIT" ;;
  restart) stop "$UNIT" && start "$UNIT" ;;
  is-active) is_active "$UNIT" ;;
  enable)
    mkdir -p "$UNIT_DIR/multi-user.target.wants"
    ln -sfn "$UNIT_DIR/$UNIT.service" "$UNIT_DIR/multi-user.target.wants/$UNIT.service"
    ;;
  is-enabled) [ -L "$UNIT_DIR/multi-user.target.wants/$UNIT.service" ] ;;
  daemon-reload) ;;
  *) echo "standin: unknown verb $verb" >&2; exit 1 ;;
esac
