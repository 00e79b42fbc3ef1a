#!/usr/bin/env bash
# Build the sandbox's root filesystem as a tarball, offline except for the configured Debian mirror.
#   usage: build-rootfs.sh OUT.tar CACHE_DIR
# Needs root and mmdebstrap. Reads the package list from packages.txt beside this script.
# kubectl: the host's 1.32 client if there is one (Debian's kubernetes-client is 1.20), else Debian's.
set -euo pipefail

out=${1:?usage: build-rootfs.sh OUT.tar CACHE_DIR}
cache=${2:?usage: build-rootfs.sh OUT.tar CACHE_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
suite=bookworm

# debian_mirror: the host's own Debian mirror (shared with kube/; see the file).
# shellcheck source=SCRIPTDIR/../scripts/lib/debian-mirror.sh
source "$here/../scripts/lib/debian-mirror.sh"

mirror=$(debian_mirror)
security=${mirror%/debian}/debian-security
packages=$(grep -v '^\s*#' "$here/packages.txt" | tr -s ' \n' ',' | sed 's/^,//; s/,$//')

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

mkdir -p "$cache/debs" "$(dirname "$out")"
echo "  mirror: $mirror ($suite, $suite-updates, $suite-security)"

hooks=(
  --setup-hook='mkdir -p "$1"/var/cache/apt/archives'
  --setup-hook="sync-in '$cache/debs' /var/cache/apt/archives"
  --customize-hook="sync-out /var/cache/apt/archives '$cache/debs'"
  --customize-hook='rm -f "$1"/var/cache/apt/archives/*.deb "$1"/var/cache/apt/*.bin; rm -rf "$1"/var/lib/apt/lists/*'
  --customize-hook="install -m 0644 '$here/inner/containers.conf' \"\$1\"/etc/containers/containers.conf"
  --customize-hook="install -m 0644 '$here/inner/storage.conf' \"\$1\"/etc/containers/storage.conf"
  --customize-hook="install -m 0644 '$here/inner/profile.sh' \"\$1\"/etc/profile.d/labdeck.sh"
  # ping carries cap_net_raw as a file capability; an isolated sandbox has no NET_RAW, so exec fails
  # with EPERM. Without the capability ping falls back to ICMP datagram sockets.
  --customize-hook='chroot "$1" setcap -r /usr/bin/ping'
)
if [[ -n $kubectl_src ]]; then
  hooks+=(--customize-hook="install -m 0755 '$kubectl_src' \"\$1\"/usr/local/bin/kubectl")
fi

# Debs are kept in $cache/debs between runs (the sync-in/sync-out pattern from mmdebstrap(1)), so a
# rebuild after a package-list change downloads only what is new.
mmdebstrap \
  --variant=minbase \
  --mode=root \
  --format=tar \
  --components=main \
  --include="$packages" \
  --aptopt='APT::Install-Recommends "false"' \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --skip=download/empty \
  "${hooks[@]}" \
  "$suite" "$out" \
  "deb $mirror $suite main" \
  "deb $mirror $suite-updates main" \
  "deb $security $suite-security main"
