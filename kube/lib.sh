# shellcheck shell=bash disable=SC2034
# Shared by kube/*.sh (sourced, never run). Progress lines in the style of sandbox/build.sh.

KUBE_VERSION=1.20.2
# The Debian source package that holds the whole upstream tree with vendor/ (see
# docs/kubernetes-offline.md). Pinned: a different upstream version needs different patches here.
# bookworm's is "1.20.5+really1.20.2-1.1+deb12u1" (upstream 1.20.2 with Debian's security fixes).
KUBE_DEB_VERSION_GLOB="*1.20.2-*"

: "${t0:=$(date +%s.%N)}"
elapsed() { printf '%.1fs' "$(echo "$(date +%s.%N) - $t0" | bc)"; }
# phase N TOTAL TEXT
phase() { printf '[%s/%s %3s%%] %s (%s)\n' "$1" "$2" "$(( ($1 - 1) * 100 / $2 ))" "$3" "$(elapsed)"; }
die() { echo "kube build: $*" >&2; exit 1; }

# debian_mirror: the mirror sandbox/build-rootfs.sh uses too (one definition).
# shellcheck source=SCRIPTDIR/../scripts/lib/debian-mirror.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/debian-mirror.sh"
