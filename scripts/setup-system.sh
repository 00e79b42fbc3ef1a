#!/usr/bin/env bash
# Installs and configures what the tests need from the system, idempotently: Debian's Chromium (the
# e2e browser), podman with everything it runs (runc, conmon, catatonit, the network plugins, the
# image policy files), mmdebstrap (builds the sandbox image offline), iptables, a kubectl client, the
# offline Kubernetes build's packages (kube/packages.txt), and
# /dev/fuse usable inside the sandboxes' user namespace. Changes nothing when all is in place, and
# says so; says what it changed otherwise. Without root it stops and says how to run.
# scripts/smoke-system.ts then proves the result with real containers (npm test runs both).
set -euo pipefail

# The podman sandbox tests run rootful podman and set labdeck's iptables isolation rule
# (server/sandbox/podman/isolation.ts): they need root, like the workshop host's server does.
if [ "$(id -u)" -ne 0 ]; then
  echo "setup-system: the tests need root (rootful podman containers and an iptables rule per host)." >&2
  echo "setup-system: run them as root, e.g.:  sudo -E env \"PATH=\$PATH\" npm test" >&2
  exit 1
fi

# Packages are installed with --no-install-recommends (a small, predictable machine), so every
# Recommends the tests rely on is named here, and so is each Depends they use directly: a package
# list that names what is used stays right when Debian reshuffles dependencies.
need=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "$2" ]; }
pkg() { dpkg-query -W -f '${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
have chromium /usr/bin/chromium || need+=(chromium)
have podman /usr/bin/podman || need+=(podman)
have runc /usr/sbin/runc || need+=(runc)
have conmon /usr/bin/conmon || need+=(conmon)
# `podman run --init` (every sandbox) runs /usr/libexec/podman/catatonit as PID 1; only a Recommends.
[ -x /usr/libexec/podman/catatonit ] || need+=(catatonit)
# podman's network stack on bookworm (CNI bridge + firewall plugins) and its image policy
# (/etc/containers/policy.json, which `podman build` reads): Depends of podman's common files.
pkg containernetworking-plugins || need+=(containernetworking-plugins)
pkg golang-github-containers-image || need+=(golang-github-containers-image)
have mmdebstrap /usr/bin/mmdebstrap || need+=(mmdebstrap)
# fuse-overlayfs and fusermount3 (fuse3): podman's overlay over fuse, as the sandbox image's nested podman does.
have fuse-overlayfs /usr/bin/fuse-overlayfs || need+=(fuse-overlayfs)
have fusermount3 /usr/bin/fusermount3 || need+=(fuse3)
have newuidmap /usr/bin/newuidmap || need+=(uidmap)
have iptables /usr/sbin/iptables || need+=(iptables)
# sandbox/build.sh uses both.
have curl /usr/bin/curl || need+=(curl)
have bc /usr/bin/bc || need+=(bc)
# Debian's kubernetes-client is an old kubectl; a newer one already on the machine is kept.
have kubectl /usr/bin/kubectl || need+=(kubernetes-client)
# kube/build.sh (the offline Kubernetes node for the seed e2e spec): its host packages are listed in
# kube/packages.txt, the one owner of that list.
while read -r p; do
  case $p in '' | '#'*) continue ;; esac
  pkg "$p" || need+=("$p")
done <"$(dirname "$0")/../kube/packages.txt"
# Fonts that keep box-drawing diagrams aligned in screenshots.
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ] || need+=(fonts-dejavu-core)
# (xdg-utils, which a fresh machine also lacks after this, comes with chromium; the tests never run it.)

changed=()
if [ ${#need[@]} -gt 0 ]; then
  echo "setup-system: installing ${need[*]} from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" </dev/null
  changed+=("installed ${need[*]}")
fi

# Nested podman in an isolated sandbox opens /dev/fuse (fuse-overlayfs) as the sandbox's root, which
# is host uid 2000000000 in the sandbox's user namespace: only the "other" bits apply to it. udev
# makes /dev/fuse 0666 on a normal Debian host; a machine without udev (CI, containers) leaves it
# 0600 root, and nested podman fails with "fuse: failed to open /dev/fuse: Permission denied".
# 0666 is what Debian itself ships (udev's default rule): opening the device gives nothing by itself,
# mounting still takes CAP_SYS_ADMIN or the setuid fusermount3 (whose allow_other is root's choice in
# /etc/fuse.conf). Without udev the mode resets at boot, so this runs every time (npm test calls it).
if [ ! -c /dev/fuse ]; then
  echo "setup-system: /dev/fuse does not exist: load the fuse kernel module (modprobe fuse); nested podman needs it" >&2
  exit 1
fi
mode=$(stat -c %a /dev/fuse)
if [ $((8#$mode & 8#006)) -ne $((8#006)) ]; then
  chmod 0666 /dev/fuse
  changed+=("/dev/fuse mode $mode -> 0666 (no udev here to set it)")
fi

# Every isolated sandbox is the same host uid (one user-namespace mapping), and runc gives each
# container and each `podman exec` a kernel session keyring charged to that uid. The kernel's default
# quota (200 keys per user) ran out with a few dozen sandboxes: "unable to create session key: disk
# quota exceeded". server/sandbox/podman/host-check.ts checks the same bounds. Like the /dev/fuse mode, a
# sysctl does not outlive a reboot here, so this runs every time.
want_keys=20000 want_bytes=2000000
keys=$(cat /proc/sys/kernel/keys/maxkeys) bytes=$(cat /proc/sys/kernel/keys/maxbytes)
if [ "$keys" -lt "$want_keys" ] || [ "$bytes" -lt "$want_bytes" ]; then
  [ "$keys" -lt "$want_keys" ] && sysctl -q -w kernel.keys.maxkeys=$want_keys
  [ "$bytes" -lt "$want_bytes" ] && sysctl -q -w kernel.keys.maxbytes=$want_bytes
  changed+=("kernel key quota per user $keys keys / $bytes bytes -> $(cat /proc/sys/kernel/keys/maxkeys) / $(cat /proc/sys/kernel/keys/maxbytes)")
fi

if [ ${#changed[@]} -eq 0 ]; then
  echo "setup-system: nothing to change (packages installed, catatonit present, /dev/fuse 0666, key quota)"
else
  for c in "${changed[@]}"; do echo "setup-system: $c"; done
fi
