#!/usr/bin/env bash
# Download Debian's `kubernetes` source package (the upstream tree with vendor/) into a cache dir,
# with a PRIVATE apt configuration: its own sources list (deb-src for the host's mirror), lists and
# cache under CACHE_DIR/apt. The machine's /etc/apt is only read (for the mirror), never written.
#   usage: fetch-source.sh CACHE_DIR      prints the path of the downloaded .dsc on stdout
# Runs apt only when no .dsc of the pinned version is in CACHE_DIR/src yet.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
source "$here/lib.sh"
cache=${1:?usage: fetch-source.sh CACHE_DIR}
mkdir -p "$cache/src"
cache=$(cd "$cache" && pwd) # apt resolves relative Dir:: paths against /etc/apt
src=$cache/src

shopt -s nullglob
# The version is a glob on purpose (unquoted below).
# shellcheck disable=SC2206
found=("$src"/kubernetes_$KUBE_DEB_VERSION_GLOB.dsc)
if (( ${#found[@]} == 0 )); then
  apt_dir=$cache/apt
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/sources.list.d"
  mirror=$(debian_mirror)
  printf 'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s bookworm main\n' "$mirror" \
    >"$apt_dir/sources.list"
  apt_opts=(
    -o "Dir::Etc::SourceList=$apt_dir/sources.list"
    -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
    -o "Dir::State::Lists=$apt_dir/lists"
    -o "Dir::Cache=$apt_dir"
    -o "Dir::Cache::Archives=$apt_dir/archives"
    -o "APT::Sandbox::User=root"
  )
  echo "  apt-get source kubernetes from $mirror (private apt config in $apt_dir)" >&2
  apt-get "${apt_opts[@]}" -q update >&2
  (cd "$src" && apt-get "${apt_opts[@]}" -q source --download-only kubernetes >&2)
  # shellcheck disable=SC2206
  found=("$src"/kubernetes_$KUBE_DEB_VERSION_GLOB.dsc)
  (( ${#found[@]} > 0 )) || die "the mirror has no kubernetes $KUBE_VERSION source package (see $src)"
fi
echo "${found[-1]}"
