#!/bin/sh
# firstrun.sh — written to a Raspberry Pi OS boot partition by `qonnect flash image --format firstrun`.
# The kernel command line (cmdline.txt) runs it once on first boot:
#   systemd.run=/boot/firmware/firstrun.sh systemd.run_success_action=reboot systemd.unit=kernel-command-line.target
# It installs the qonnect payload in qonnect/ beside it (qonnect-board.sh apply, without the health gate:
# the network is not up yet; the agent starts on the reboot that follows), removes its own cmdline.txt
# tokens (or the board would run it on every boot), deletes the credentials from the boot partition, and
# hands over to Raspberry Pi Imager's own first-run script when there was one. Running it twice is harmless.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
payload="$here/qonnect"
board="$payload/qonnect-board.sh"
[ -f "$board" ] || board=/opt/qonnect/current/qonnect-board.sh # a second run: the installed copy

installed=no
if [ -f "$payload/settings.env" ]; then
  if sh "$board" apply "$payload"; then
    installed=yes
  else
    echo "qonnect: install failed; the payload stays in $payload: sh $board apply $payload" >&2
  fi
fi

sh "$board" firstrun-cleanup "$here/cmdline.txt"

if [ -f "$payload/imager-firstrun.sh" ]; then
  # Raspberry Pi Imager's own first-run script (user, Wi-Fi, SSH); it removes its tokens too
  sh "$payload/imager-firstrun.sh" || true
fi
# the credentials must not stay on a partition anyone with the card can read
[ "$installed" = yes ] && rm -rf "$payload"
rm -f "$here/firstrun.sh"
exit 0
