#!/usr/bin/env bash
# Installs what `make demo` and `make test` need on a fresh Debian 12 machine with Node 20 and npm:
# pnpm 12.4.2, the Debian packages the tests use (when we are root), and the workspace dependencies.
# Safe to run again: every step checks first.
set -euo pipefail
cd "$(dirname "$0")/.."
export npm_config_nodedir=/usr # pnpm 12 ignores .npmrc's nodedir; without it node-gyp downloads headers and fails

PNPM_VERSION=12.4.2
# Debian packages the tests start for real. Add to this list when a package needs another server.
APT_PACKAGES=(nats-server iproute2 openssl postgresql coinor-cbc systemd util-linux chromium curl libnss3-tools)
# qonnect flash: test boards (sshd in namespaces), FAT images, shellcheck, arm64 Node under qemu, systemd-analyze
APT_PACKAGES+=(openssh-server openssh-client mtools dosfstools fdisk shellcheck qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross)
APT_PACKAGES+=(nftables) # hil-tests: network cuts of the simulated rig

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "qonnect needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none)). Install it first: https://nodejs.org/" >&2
  exit 1
fi

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  say "installing pnpm $PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION" >/dev/null
fi

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    say "installing Debian packages with sudo: ${missing[*]}"
    sudo apt-get update -qq >/dev/null
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "warning: missing Debian packages ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
  fi
fi

say "installing workspace dependencies"
pnpm install --frozen-lockfile >/dev/null
