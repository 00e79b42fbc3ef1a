#!/usr/bin/env bash
# Installs what the tests need from the system, idempotently: Debian's Chromium (the e2e browser),
# podman + runc (the podman sandbox driver), mmdebstrap (builds the sandbox image offline), and a
# kubectl client. Does nothing when everything is there. Without root it stops and says how to run.
set -euo pipefail

# The podman sandbox tests run rootful podman and set labdeck's iptables isolation rule
# (server/sandbox/podman-isolation.ts): they need root, like the workshop host's server does.
if [ "$(id -u)" -ne 0 ]; then
  echo "setup-system: the tests need root (rootful podman containers and an iptables rule per host)." >&2
  echo "setup-system: run them as root, e.g.:  sudo -E env \"PATH=\$PATH\" npm test" >&2
  exit 1
fi

need=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "$2" ]; }
have chromium /usr/bin/chromium || need+=(chromium)
have podman /usr/bin/podman || need+=(podman)
have runc /usr/sbin/runc || need+=(runc)
have mmdebstrap /usr/bin/mmdebstrap || need+=(mmdebstrap)
have fuse-overlayfs /usr/bin/fuse-overlayfs || need+=(fuse-overlayfs)
have newuidmap /usr/bin/newuidmap || need+=(uidmap)
have iptables /usr/sbin/iptables || need+=(iptables)
# sandbox/build.sh uses both.
have curl /usr/bin/curl || need+=(curl)
have bc /usr/bin/bc || need+=(bc)
# Debian's kubernetes-client is an old kubectl; a newer one already on the machine is kept.
have kubectl /usr/bin/kubectl || need+=(kubernetes-client)
# Fonts that keep box-drawing diagrams aligned in screenshots.
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ] || need+=(fonts-dejavu-core)

if [ ${#need[@]} -eq 0 ]; then
  echo "setup-system: everything is installed (chromium, podman, runc, mmdebstrap, fuse-overlayfs, iptables, kubectl)"
  exit 0
fi

echo "setup-system: installing ${need[*]} from Debian's packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" </dev/null
echo "setup-system: done"
