#!/bin/sh
# Stand-in for K3s' installer (get.k3s.io) on the test boards, which cannot run K3s: it records what the real
# installer is given (K3S_URL, K3S_TOKEN, INSTALL_K3S_EXEC) and leaves the node password a joined agent has.
set -eu
mkdir -p /etc/rancher/node
printf 'K3S_URL=%s\nK3S_TOKEN=%s\nINSTALL_K3S_EXEC=%s\n' "$K3S_URL" "$K3S_TOKEN" "$INSTALL_K3S_EXEC" >/etc/rancher/k3s-standin.env
echo "stand-in node password" >/etc/rancher/node/password
