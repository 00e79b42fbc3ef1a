# shellcheck shell=bash
# Sourced by sandbox/build-rootfs.sh and kube/node/build-rootfs.sh (never run): the one mmdebstrap
# invocation both offline image builds make, so their Debian base (suite, mirrors, trimmed docs, the
# deb cache) cannot drift apart. Each caller adds its own packages and customize hooks.

# shellcheck source=SCRIPTDIR/debian-mirror.sh
source "$(dirname "${BASH_SOURCE[0]}")/debian-mirror.sh"

# debian_packages FILE: the package list (one a line, '#' comments) as mmdebstrap's --include value.
debian_packages() {
  grep -v '^\s*#' "$1" | tr -s ' \n' ',' | sed 's/^,//; s/,$//'
}

# debian_rootfs OUT.tar CACHE_DIR PACKAGES [mmdebstrap option...]: a bookworm minbase root filesystem
# as a tarball, from the host's own Debian mirror (debian_mirror) and nothing else. Debs are kept in
# CACHE_DIR/debs between runs (the sync-in/sync-out pattern from mmdebstrap(1)), so a rebuild after a
# package-list change downloads only what is new. Extra options (e.g. --customize-hook) come last.
debian_rootfs() {
  local out=$1 cache=$2 packages=$3 suite=bookworm mirror security
  shift 3
  mirror=$(debian_mirror)
  security=${mirror%/debian}/debian-security
  mkdir -p "$cache/debs" "$(dirname "$out")"
  echo "  mirror: $mirror ($suite, $suite-updates, $suite-security)"
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
    "$@" \
    "$suite" "$out" \
    "deb $mirror $suite main" \
    "deb $mirror $suite-updates main" \
    "deb $security $suite-security main"
}
