# shellcheck shell=bash disable=SC2034
# Shared by kube/*.sh (sourced, never run): the pinned version, and the image builds' library
# (scripts/lib/image-build.sh: elapsed, phase, die, stamps) with the Debian mirror.

KUBE_VERSION=1.20.2
# The Debian source package that holds the whole upstream tree with vendor/ (see
# docs/kubernetes-offline.md). Pinned: a different upstream version needs different patches here.
# bookworm's is "1.20.5+really1.20.2-1.1+deb12u1" (upstream 1.20.2 with Debian's security fixes).
KUBE_DEB_VERSION_GLOB="*1.20.2-*"

: "${BUILD_NAME:=kube build}"
# shellcheck source=SCRIPTDIR/../scripts/lib/image-build.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/image-build.sh"
# shellcheck source=SCRIPTDIR/../scripts/lib/debian-mirror.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/debian-mirror.sh"
