#!/usr/bin/env bash
# Installs what the tests need from the system, idempotently: Debian's Chromium (the e2e browser),
# podman + runc (the podman sandbox driver), mmdebstrap (builds the sandbox image offline), and a
# kubectl client. Does nothing when everything is there. Without root it stops and prints the exact
# line to run.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "$2" ]; }
have chromium /usr/bin/chromium || need+=(chromium)
have podman /usr/bin/podman || need+=(podman)
have runc /usr/sbin/runc || need+=(runc)
have mmdebstrap /usr/bin/mmdebstrap || need+=(mmdebstrap)
have fuse-overlayfs /usr/bin/fuse-overlayfs || need+=(fuse-overlayfs)
have newuidmap /usr/bin/newuidmap || need+=(uidmap)
# Debian's kubernetes-client is an old kubectl; a newer one already on the machine is kept.
have kubectl /usr/bin/kubectl || need+=(kubernetes-client)
# Fonts that keep box-drawing diagrams aligned in screenshots.
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ] || need+=(fonts-dejavu-core)

if [ ${#need[@]} -eq 0 ]; then
  echo "setup-system: everything is installed (chromium, podman, runc, mmdebstrap, fuse-overlayfs, kubectl)"
  exit 0
fi

line="apt-get update && apt-get install -y --no-install-recommends ${need[*]}"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    prefix=(sudo -n)
  else
    echo "setup-system: missing: ${need[*]}" >&2
    echo "setup-system: run this as root, then run the tests again:" >&2
    echo "  sudo sh -c '$line'" >&2
    exit 1
  fi
else
  prefix=()
fi

echo "setup-system: installing ${need[*]} from Debian's packages"
export DEBIAN_FRONTEND=noninteractive
"${prefix[@]}" apt-get update -qq
"${prefix[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" </dev/null
echo "setup-system: done"
