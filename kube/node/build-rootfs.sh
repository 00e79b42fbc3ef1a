#!/usr/bin/env bash
# Build the node image's root filesystem as a tarball, offline except for the configured Debian mirror.
#   usage: build-rootfs.sh OUT.tar CACHE_DIR
# Needs root and mmdebstrap. Packages from packages.txt beside this script. Kubernetes binaries and
# configuration are added later as image layers (build.sh), so changing them does not rebuild this.
set -euo pipefail

out=${1:?usage: build-rootfs.sh OUT.tar CACHE_DIR}
cache=${2:?usage: build-rootfs.sh OUT.tar CACHE_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/../../scripts/lib/debian-rootfs.sh
source "$here/../../scripts/lib/debian-rootfs.sh"

debian_rootfs "$out" "$cache" "$(debian_packages "$here/packages.txt")"
