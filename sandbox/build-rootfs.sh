#!/usr/bin/env bash
# Build the sandbox's root filesystem as a tarball, offline except for the configured Debian mirror.
#   usage: build-rootfs.sh OUT.tar CACHE_DIR
# Needs root and mmdebstrap. Reads the package list from packages.txt beside this script.
# kubectl: the host's 1.32 client if there is one (Debian's kubernetes-client is 1.20), else Debian's.
set -euo pipefail

out=${1:?usage: build-rootfs.sh OUT.tar CACHE_DIR}
cache=${2:?usage: build-rootfs.sh OUT.tar CACHE_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# debian_rootfs, debian_packages: the mmdebstrap call shared with kube/ (see the file).
# shellcheck source=SCRIPTDIR/../scripts/lib/debian-rootfs.sh
source "$here/../scripts/lib/debian-rootfs.sh"

packages=$(debian_packages "$here/packages.txt")

# kubectl: the host's real client binary. gcloud's /usr/bin/kubectl is a version dispatcher; next to
# it lie the real clients (kubectl.1.32 ...), so prefer the matching one.
kubectl_src=""
if [[ -n ${LABDECK_KUBECTL:-} ]]; then
  kubectl_src=$LABDECK_KUBECTL
elif command -v kubectl >/dev/null 2>&1; then
  k=$(readlink -f "$(command -v kubectl)")
  kubectl_src=$k
  [[ -x ${k}.1.32 ]] && kubectl_src=${k}.1.32
fi
if [[ -z $kubectl_src ]]; then
  packages+=",kubernetes-client"
  echo "  kubectl: none on the host, using Debian's kubernetes-client (1.20)"
else
  echo "  kubectl: $kubectl_src"
fi

# "$1" in the hooks is the chroot, expanded by mmdebstrap's shell, not this one.
# shellcheck disable=SC2016
hooks=(
  --customize-hook="install -m 0644 '$here/inner/containers.conf' \"\$1\"/etc/containers/containers.conf"
  --customize-hook="install -m 0644 '$here/inner/storage.conf' \"\$1\"/etc/containers/storage.conf"
  --customize-hook="install -m 0644 '$here/inner/profile.sh' \"\$1\"/etc/profile.d/labdeck.sh"
  # The read-only image store that privileged sandboxes mount the host's node image on
  # (inner/storage.conf, run-flags.ts). An empty store must still be a valid one, or the inner podman
  # fails to start ("creating locker directory … read-only file system"); these two directories
  # are all it needs, and podman copies them into the volume when it creates it empty.
  --customize-hook='mkdir -p "$1"/var/lib/labdeck/kind-images/overlay-images "$1"/var/lib/labdeck/kind-images/overlay-layers'
  # ping carries cap_net_raw as a file capability; an isolated sandbox has no NET_RAW, so exec fails
  # with EPERM. Without the capability ping falls back to ICMP datagram sockets.
  --customize-hook='chroot "$1" setcap -r /usr/bin/ping'
)
if [[ -n $kubectl_src ]]; then
  hooks+=(--customize-hook="install -m 0755 '$kubectl_src' \"\$1\"/usr/local/bin/kubectl")
fi

debian_rootfs "$out" "$cache" "$packages" "${hooks[@]}"
