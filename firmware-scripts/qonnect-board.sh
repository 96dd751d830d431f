#!/bin/sh
# qonnect-board.sh — the part of `qonnect flash` that runs on the board (docs/flash.md). POSIX sh.
#
#   sh qonnect-board.sh probe [VERSION [PATH...]]   facts about the board, one `key=value` per line, then one
#                                                   `file PATH SHA256 MODE OWNER:GROUP` per PATH and
#                                                   `release VERSION ok|missing|corrupt`
#   sh qonnect-board.sh sums DIR                    `SHA256  NAME` of every file under DIR (resuming uploads)
#   sh qonnect-board.sh apply PAYLOAD [SUMS_SHA256] install a payload (below) idempotently, switch `current`,
#                                                   restart, gate on health, roll back when the gate fails
#   sh qonnect-board.sh rollback [REASON]           back to the previous release by hand
#   sh qonnect-board.sh firstrun-cleanup CMDLINE    remove the first-boot tokens from a cmdline.txt
#
# A payload is a directory: qonnect-board.sh (this file), settings.env, SHA256SUMS (of every other file),
# release/ (the agent bundle with its own SHA256SUMS and VERSION, optionally bin/node), etc/agent.yaml,
# etc/credentials/ (the enrolment bundle: ca.pem cert.pem key.pem nats.creds identity.yaml; installed where
# the unit's LoadCredential= reads it, CREDENTIALS_DIR, default /etc/qonnect/bundle), etc/unit
# (the systemd unit), etc/dropin.conf (points ExecStart at /opt/qonnect/current), and for a K3s join
# etc/k3s-token and optionally etc/k3s-install.sh (a copy of K3s' installer for air-gapped boards).
# `qonnect flash` uploads exactly this directory; `qonnect flash image` writes it to the boot partition.
#
# apply prints one line per step: `changed WHAT`, `ok WHAT`, `health ok|failed REASON`, `rollback FROM TO`,
# and last `summary changed=N reboot=yes|no health=ok|skipped|rolled-back|failed`. Exit 0 ok, 1 failed,
# 3 health gate failed (rolled back when there was a release to go back to).
#
# The service manager is systemd (systemctl) where it runs; QONNECT_SERVICE_MANAGER names another program
# with the same verbs (restart, stop, enable, is-enabled, is-active, daemon-reload) — the test boards use a
# stand-in supervisor there. QONNECT_ARCH overrides the detected architecture (boards emulated with qemu).
set -eu

PREFIX=${QONNECT_PREFIX:-/opt/qonnect}
ETC=${QONNECT_ETC:-/etc/qonnect}
UNIT_DIR=${QONNECT_UNIT_DIR:-/etc/systemd/system}
changed=0
reboot=no

say() { printf '%s\n' "$*"; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}
mark_changed() {
  changed=$((changed + 1))
  say "changed $*"
}

# --- facts -------------------------------------------------------------------------------------------------

boot_dir() {
  for d in ${QONNECT_BOOT_DIR:-} /boot/firmware /boot; do
    if [ -f "$d/config.txt" ] || [ -f "$d/cmdline.txt" ]; then
      say "$d"
      return 0
    fi
  done
  say ""
}

board_arch() {
  if [ -n "${QONNECT_ARCH:-}" ]; then
    say "$QONNECT_ARCH"
    return 0
  fi
  machine=$(uname -m)
  # a 64-bit kernel under a 32-bit userland (older Raspberry Pi OS) needs 32-bit binaries: ask /bin/sh
  elf_class=$(od -An -tx1 -j4 -N1 /bin/sh 2>/dev/null | tr -d ' ')
  case "$machine" in
    aarch64 | arm64) if [ "$elf_class" = "01" ]; then say armhf; else say arm64; fi ;;
    x86_64 | amd64) say amd64 ;;
    armv7l | armv6l) say armhf ;;
    *) say "$machine" ;;
  esac
}

dt_model() {
  for f in /proc/device-tree/model /sys/firmware/devicetree/base/model; do
    if [ -r "$f" ]; then
      tr -d '\000' <"$f"
      return 0
    fi
  done
  if [ -r /sys/class/dmi/id/product_name ]; then cat /sys/class/dmi/id/product_name; else say unknown; fi
}

os_field() { # KEY
  if [ -r /etc/os-release ]; then sed -n "s/^$1=\"\{0,1\}\([^\"]*\)\"\{0,1\}$/\1/p" /etc/os-release; fi
}

i2c_config() { # on | off: whether config.txt enables the ARM I2C bus
  b=$(boot_dir)
  if [ -n "$b" ] && grep -Eq '^[[:space:]]*dtparam=([^#]*,)?i2c(_arm)?(=on)?([,[:space:]]|$)' "$b/config.txt" 2>/dev/null; then
    say on
  else
    say off
  fi
}

ina219_present() { # a kernel driver bound to it, or (i2c-tools) a chip answering at 0x40-0x4f on bus 1
  for n in /sys/bus/i2c/devices/*/name /sys/class/hwmon/*/name; do
    if [ -r "$n" ] && grep -qx 'ina2[0-9][0-9]' "$n"; then
      say yes
      return 0
    fi
  done
  if [ -e /dev/i2c-1 ] && command -v i2cget >/dev/null 2>&1; then
    for a in 0x40 0x41 0x44 0x45; do
      # reading the configuration register is harmless; an INA219 resets it to 0x399f (read byte-swapped)
      if [ "$(i2cget -y 1 "$a" 0x00 w 2>/dev/null)" = 0x9f39 ]; then
        say "yes ($a)"
        return 0
      fi
    done
  fi
  say no
}

k3s_present() { # the binary, or the node password a K3s agent writes when it joins
  command -v k3s >/dev/null 2>&1 || [ -x /usr/local/bin/k3s ] || [ -f /etc/rancher/node/password ]
}

cgroup_flags() { # yes when cmdline.txt carries what K3s needs
  b=$(boot_dir)
  if [ -n "$b" ] && grep -q 'cgroup_memory=1' "$b/cmdline.txt" 2>/dev/null &&
    grep -q 'cgroup_enable=memory' "$b/cmdline.txt" 2>/dev/null; then say yes; else say no; fi
}

service_manager() {
  if [ -n "${QONNECT_SERVICE_MANAGER:-}" ]; then
    say "standin:$QONNECT_SERVICE_MANAGER"
  elif [ -d /run/systemd/system ]; then
    say systemd
  else
    say none
  fi
}

svc() { # VERB [UNIT]
  if [ -n "${QONNECT_SERVICE_MANAGER:-}" ]; then
    "$QONNECT_SERVICE_MANAGER" "$@"
  elif [ -d /run/systemd/system ]; then
    case "$1" in
      is-active | is-enabled) systemctl --quiet "$@" ;;
      *) systemctl "$@" ;;
    esac
  elif [ "$1" = enable ]; then
    systemctl enable "$2" # no running systemd (first boot, a chroot): link the unit only
  else
    return 1
  fi
}

current_version() {
  if [ -L "$PREFIX/current" ]; then basename "$(readlink "$PREFIX/current")"; else say none; fi
}

release_state() { # VERSION
  r="$PREFIX/releases/$1"
  if [ ! -f "$r/SHA256SUMS" ]; then
    say missing
  elif (cd "$r" && sha256sum -c --quiet --strict SHA256SUMS >/dev/null 2>&1); then
    say ok
  else
    say corrupt
  fi
}

file_state() { # PATH
  if [ -f "$1" ]; then
    set -- "$1" "$(sha256sum "$1" | cut -d' ' -f1)" "$(stat -c '%a %U:%G' "$1")"
    say "file $1 $2 $3"
  else
    say "file $1 - - -"
  fi
}

probe() {
  say "arch=$(board_arch)"
  say "model=$(dt_model)"
  say "os_id=$(os_field ID)"
  say "os_codename=$(os_field VERSION_CODENAME)"
  say "os_pretty=$(os_field PRETTY_NAME)"
  say "boot_dir=$(boot_dir)"
  say "i2c_config=$(i2c_config)"
  devs=""
  for d in /dev/i2c-*; do [ -e "$d" ] && devs="$devs$d "; done
  say "i2c_devices=$devs"
  say "ina219=$(ina219_present)"
  if k3s_present; then say k3s=yes; else say k3s=no; fi
  say "cgroup_flags=$(cgroup_flags)"
  say "service_manager=$(service_manager)"
  if command -v node >/dev/null 2>&1; then say "node=$(node --version 2>/dev/null || say broken)"; else say node=none; fi
  say "current=$(current_version)"
  rels=""
  for d in "$PREFIX"/releases/*; do [ -d "$d" ] && rels="$rels$(basename "$d") "; done
  say "releases=$rels"
  if svc is-active "${QONNECT_SERVICE:-qonnect-agent}" >/dev/null 2>&1; then say service_active=yes; else say service_active=no; fi
  if svc is-enabled "${QONNECT_SERVICE:-qonnect-agent}" >/dev/null 2>&1; then say service_enabled=yes; else say service_enabled=no; fi
  [ $# -ge 1 ] || return 0
  version=$1
  shift
  for p in "$@"; do file_state "$p"; done
  say "release $version $(release_state "$version")"
}

sums() { # DIR: hashes of what an interrupted upload left, so the next one sends only the rest
  [ -d "$1" ] || return 0
  (cd "$1" && find . -type f | sed 's|^\./||' | sort | while IFS= read -r f; do sha256sum "$f"; done)
}

# --- apply -------------------------------------------------------------------------------------------------

backup() { # PATH: keep what is replaced, for rollback
  if [ -f "$1" ]; then
    mkdir -p "$PREFIX/rollback$(dirname "$1")"
    cp -p "$1" "$PREFIX/rollback$1"
  else
    mkdir -p "$PREFIX/rollback$(dirname "$1")"
    : >"$PREFIX/rollback$1.absent"
  fi
}

put_file() { # SRC DST MODE OWNER GROUP
  if [ -f "$2" ] && cmp -s "$1" "$2" && [ "$(stat -c '%a %U %G' "$2")" = "$(printf '%o' "0$3") $4 $5" ]; then
    say "ok $2"
    return 0
  fi
  backup "$2"
  mkdir -p "$(dirname "$2")"
  cp "$1" "$2.qonnect-new"
  chown "$4:$5" "$2.qonnect-new"
  chmod "$3" "$2.qonnect-new"
  mv -f "$2.qonnect-new" "$2"
  mark_changed "$2"
  restart=1
}

ensure_dir() { # DIR MODE OWNER GROUP
  if [ -d "$1" ] && [ "$(stat -c '%a %U %G' "$1")" = "$(printf '%o' "0$2") $3 $4" ]; then return 0; fi
  mkdir -p "$1"
  chown "$3:$4" "$1"
  chmod "$2" "$1"
  mark_changed "$1/"
}

install_release() { # PAYLOAD
  rel="$PREFIX/releases/$RELEASE_VERSION"
  if [ "$(release_state "$RELEASE_VERSION")" = ok ] && cmp -s "$rel/SHA256SUMS" "$1/release/SHA256SUMS"; then
    say "ok release $RELEASE_VERSION"
    return 0
  fi
  mkdir -p "$PREFIX/releases"
  incoming="$PREFIX/releases/.incoming-$RELEASE_VERSION"
  rm -rf "$incoming"
  cp -R "$1/release" "$incoming"
  # a payload read from a FAT boot partition has no modes: the executables get theirs back
  for x in bin/node qonnect-agent.mjs qonnect-board.sh; do [ -f "$incoming/$x" ] && chmod 755 "$incoming/$x"; done
  (cd "$incoming" && sha256sum -c --quiet --strict SHA256SUMS) || die "release $RELEASE_VERSION does not match its SHA256SUMS after copying"
  if [ -e "$rel" ]; then
    rm -rf "$PREFIX/releases/.old-$RELEASE_VERSION"
    mv "$rel" "$PREFIX/releases/.old-$RELEASE_VERSION"
  fi
  mv "$incoming" "$rel"
  rm -rf "$PREFIX/releases/.old-$RELEASE_VERSION"
  mark_changed "release $RELEASE_VERSION"
  restart=1
}

enable_i2c() {
  b=$(boot_dir)
  [ -n "$b" ] || return 0
  if [ "$(i2c_config)" = on ]; then
    say "ok i2c"
    return 0
  fi
  backup "$b/config.txt"
  if grep -Eq '^[[:space:]]*#?[[:space:]]*dtparam=i2c_arm=(on|off)' "$b/config.txt"; then
    sed -i -E 's/^[[:space:]]*#?[[:space:]]*dtparam=i2c_arm=(on|off)/dtparam=i2c_arm=on/' "$b/config.txt"
  else
    printf '\n[all]\ndtparam=i2c_arm=on\n' >>"$b/config.txt"
  fi
  if [ -f /etc/modules ] && ! grep -qx 'i2c-dev' /etc/modules; then say i2c-dev >>/etc/modules; fi
  reboot=yes
  mark_changed "i2c ($b/config.txt: dtparam=i2c_arm=on)"
}

enable_cgroup() {
  b=$(boot_dir)
  [ -n "$b" ] && [ -f "$b/cmdline.txt" ] || return 0
  if [ "$(cgroup_flags)" = yes ]; then
    say "ok cgroup flags"
    return 0
  fi
  backup "$b/cmdline.txt"
  line=$(head -n1 "$b/cmdline.txt")
  for t in cgroup_memory=1 cgroup_enable=memory; do
    case " $line " in *" $t "*) ;; *) line="$line $t" ;; esac
  done
  say "$line" >"$b/cmdline.txt"
  reboot=yes
  mark_changed "cgroup flags ($b/cmdline.txt: cgroup_memory=1 cgroup_enable=memory)"
}

join_k3s() { # PAYLOAD: K3s' own installer as an agent of K3S_URL (a local copy for air-gapped boards)
  [ -n "${K3S_URL:-}" ] || return 0
  if k3s_present; then
    say "ok k3s"
    return 0
  fi
  installer="$1/etc/k3s-install.sh"
  if [ ! -f "$installer" ]; then
    installer=$(mktemp)
    curl -fsSL https://get.k3s.io >"$installer" || die "cannot download the K3s installer; put a copy in device.yaml's k3s.installer"
  fi
  K3S_URL="$K3S_URL" K3S_TOKEN="$(cat "$1/etc/k3s-token")" INSTALL_K3S_EXEC=agent sh "$installer" >&2 ||
    die "the K3s installer failed (see above); the agent release was not switched"
  mark_changed "k3s agent joined $K3S_URL"
}

ensure_user() {
  [ -n "${SERVICE_USER:-}" ] || return 0
  id -u "$SERVICE_USER" >/dev/null 2>&1 && return 0
  useradd --system --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"
  mark_changed "user $SERVICE_USER"
}

switch_to() { # VERSION: replace the `current` link in one rename, so it never dangles
  old=$(current_version)
  [ "$old" = "$1" ] && return 1
  ln -sfn "releases/$1" "$PREFIX/.current.new"
  mv -Tf "$PREFIX/.current.new" "$PREFIX/current"
  if [ "$old" != none ]; then
    ln -sfn "releases/$old" "$PREFIX/.previous.new"
    mv -Tf "$PREFIX/.previous.new" "$PREFIX/previous"
  fi
  return 0
}

http_get() { # URL
  if command -v curl >/dev/null 2>&1; then
    curl -fsS -m 2 "$1" 2>/dev/null
  elif command -v wget >/dev/null 2>&1; then
    wget -qO- -T 2 "$1" 2>/dev/null
  else
    return 1
  fi
}

agent_pid() { http_get "$HEALTH_URL/status" | sed -n 's/.*"pid":\([0-9]*\).*/\1/p'; }

health_gate() { # OLD_PID: the new agent answers /healthz, is connected and has published telemetry
  deadline=$(($(date +%s) + HEALTH_WINDOW_S))
  reason="no answer from $HEALTH_URL/healthz"
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if status=$(http_get "$HEALTH_URL/status") && http_get "$HEALTH_URL/healthz" >/dev/null; then
      pid=$(say "$status" | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
      if [ "$pid" = "$1" ]; then
        reason="the old agent (pid $1) still answers"
      elif ! say "$status" | grep -q '"nats":{"connected":true'; then
        reason="agent up but not connected to NATS"
      # telemetry sent: acknowledged by the region's stream, or live while no stream acknowledges yet
      elif ! http_get "$HEALTH_URL/metrics" |
        grep -Eq '^qonnect_agent_(published|live_samples)_total(\{[^}]*\})? [1-9]'; then
        reason="agent connected but no telemetry published yet"
      else
        return 0
      fi
    fi
    sleep 1
  done
  say "$reason within ${HEALTH_WINDOW_S}s"
  return 1
}

restore_files() { # put back what this apply replaced
  [ -d "$PREFIX/rollback" ] || return 0
  (cd "$PREFIX/rollback" && find . -type f) | sed 's|^\.||' | while IFS= read -r f; do
    case "$f" in
      *.absent) rm -f "${f%.absent}" ;;
      *) cp -p "$PREFIX/rollback$f" "$f" ;;
    esac
  done
  rm -rf "$PREFIX/rollback"
}

rollback_to_previous() { # REASON
  from=$(current_version)
  if [ ! -L "$PREFIX/previous" ] || [ "$(basename "$(readlink "$PREFIX/previous")")" = "$from" ]; then
    say "health failed $1 (no previous release to roll back to)"
    return 1
  fi
  to=$(basename "$(readlink "$PREFIX/previous")")
  ln -sfn "releases/$to" "$PREFIX/.current.new"
  mv -Tf "$PREFIX/.current.new" "$PREFIX/current"
  restore_files
  svc daemon-reload || true
  svc restart "$SERVICE" || true
  say "rollback $from $to: $1"
  return 0
}

prune() { # keep KEEP_RELEASES, never current or previous
  cur=$(current_version)
  prev=none
  [ -L "$PREFIX/previous" ] && prev=$(basename "$(readlink "$PREFIX/previous")")
  n=0
  # newest first; release names are versions (no blanks)
  for r in $(find "$PREFIX/releases" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%T@ %f\n' | sort -rn | cut -d' ' -f2); do
    n=$((n + 1))
    if [ "$n" -gt "${KEEP_RELEASES:-3}" ] && [ "$r" != "$cur" ] && [ "$r" != "$prev" ]; then
      rm -rf "${PREFIX:?}/releases/$r"
      mark_changed "pruned release $r"
    fi
  done
}

apply() { # PAYLOAD [SUMS_SHA256]
  p=$1
  [ -f "$p/settings.env" ] || die "$p is not a qonnect payload (no settings.env)"
  if [ -n "${2:-}" ] && [ "$(sha256sum "$p/SHA256SUMS" | cut -d' ' -f1)" != "$2" ]; then
    die "payload SHA256SUMS is not the one the operator sent: upload again"
  fi
  (cd "$p" && sha256sum -c --quiet --strict SHA256SUMS) || die "payload does not match its SHA256SUMS (an interrupted upload?): run qonnect flash again"
  # shellcheck disable=SC1091
  . "$p/settings.env"
  SERVICE=${SERVICE:-qonnect-agent}
  restart=0
  rm -rf "$PREFIX/rollback"
  mkdir -p "$PREFIX/releases"

  install_release "$p"
  ensure_user
  group=${SERVICE_GROUP:-${SERVICE_USER:-root}}
  owner=${SERVICE_USER:-root}
  ensure_dir "$ETC" 750 root "$group"
  put_file "$p/etc/agent.yaml" "$ETC/agent.yaml" 640 root "$group"
  # the unit's LoadCredential= sources (root's, handed over by systemd), or a directory the service user reads
  creds=${CREDENTIALS_DIR:-$ETC/bundle}
  cowner=${CREDENTIALS_OWNER:-$owner}
  ensure_dir "$creds" 700 "$cowner" "$cowner"
  for f in "$p"/etc/credentials/*; do
    [ -f "$f" ] && put_file "$f" "$creds/$(basename "$f")" 600 "$cowner" "$cowner"
  done
  unit_before=$changed
  put_file "$p/etc/unit" "$UNIT_DIR/$SERVICE.service" 644 root root
  put_file "$p/etc/dropin.conf" "$UNIT_DIR/$SERVICE.service.d/10-qonnect-release.conf" 644 root root
  [ "$changed" -gt "$unit_before" ] && { svc daemon-reload || true; }
  [ "${I2C:-off}" = on ] && enable_i2c
  [ "${CGROUP:-off}" = on ] && enable_cgroup
  join_k3s "$p"
  if ! svc is-enabled "$SERVICE" >/dev/null 2>&1; then
    svc enable "$SERVICE" >/dev/null 2>&1 || die "cannot enable $SERVICE"
    mark_changed "enabled $SERVICE"
  fi
  if switch_to "$RELEASE_VERSION"; then
    mark_changed "current -> releases/$RELEASE_VERSION"
    restart=1
  fi

  health=skipped
  if [ "${GATE:-on}" = on ] && { [ "$restart" = 1 ] || ! svc is-active "$SERVICE"; }; then
    old_pid=$(agent_pid || true)
    svc restart "$SERVICE" || die "cannot restart $SERVICE"
    if reason=$(health_gate "${old_pid:-none}"); then
      say "health ok"
      health=ok
    else
      say "gate failed: $reason"
      if rollback_to_previous "$reason"; then
        health=rolled-back
        old_pid=$(agent_pid || true)
        if again=$(health_gate "none"); then say "health ok after rollback"; else say "health failed after rollback: $again"; fi
      else
        health=failed
      fi
      say "summary changed=$changed reboot=$reboot health=$health"
      exit 3
    fi
  fi
  rm -rf "$PREFIX/rollback"
  prune
  # the staging directory of `qonnect flash` (this script keeps running from its open file)
  [ "${CLEANUP:-off}" = on ] && rm -rf "$p"
  say "summary changed=$changed reboot=$reboot health=$health"
}

rollback() {
  SERVICE=${SERVICE:-qonnect-agent}
  rollback_to_previous "${1:-by hand}" || exit 1
}

firstrun_cleanup() { # CMDLINE: drop the tokens that made this boot run firstrun.sh (or the board loops)
  sed -i -E 's/ ?systemd\.run=[^ ]*firstrun\.sh//g; s/ ?systemd\.run_success_action=[^ ]*//g; s/ ?systemd\.unit=kernel-command-line\.target//g' "$1"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  probe) probe "$@" ;;
  sums) sums "$1" ;;
  apply) apply "$@" ;;
  rollback) rollback "$@" ;;
  firstrun-cleanup) firstrun_cleanup "$1" ;;
  *) die "usage: qonnect-board.sh probe|sums|apply|rollback|firstrun-cleanup ... (see the comment at the top)" ;;
esac
