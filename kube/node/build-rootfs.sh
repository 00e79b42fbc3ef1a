#!/usr/bin/env bash
# Build the node image's root filesystem as a tarball, offline except for the configured Debian mirror.
#   usage: build-rootfs.sh OUT.tar CACHE_DIR
# Needs root and mmdebstrap. Packages from packages.txt beside this script. Kubernetes binaries and
# configuration are added later as image layers (build.sh), so changing them does not rebuild this.
set -euo pipefail

out=${1:?usage: build-rootfs.sh OUT.tar CACHE_DIR}
cache=${2:?usage: build-rootfs.sh OUT.tar CACHE_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/../lib.sh
source "$here/../lib.sh"
suite=bookworm
mirror=$(debian_mirror)
security=${mirror%/debian}/debian-security
packages=$(grep -v '^\s*#' "$here/packages.txt" | tr -s ' \n' ',' | sed 's/^,//; s/,$//')
mkdir -p "$cache/debs" "$(dirname "$out")"
echo "  mirror: $mirror ($suite, $suite-updates, $suite-security)"

# Debs are kept in $cache/debs between runs (the sync-in/sync-out pattern from mmdebstrap(1)).
# "$1" in the hooks is the chroot, expanded by mmdebstrap's shell, not this one.
# shellcheck disable=SC2016
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
  --setup-hook='mkdir -p "$1"/var/cache/apt/archives' \
  --setup-hook="sync-in '$cache/debs' /var/cache/apt/archives" \
  --customize-hook="sync-out /var/cache/apt/archives '$cache/debs'" \
  --customize-hook='rm -f "$1"/var/cache/apt/archives/*.deb "$1"/var/cache/apt/*.bin; rm -rf "$1"/var/lib/apt/lists/*' \
  "$suite" "$out" \
  "deb $mirror $suite main" \
  "deb $mirror $suite-updates main" \
  "deb $security $suite-security main"
