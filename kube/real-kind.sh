#!/usr/bin/env bash
# Run the real kind (Debian's package from a newer release) against podman, for trying it with the
# offline node image. Debian bookworm has no `kind`; trixie does. The .deb is downloaded with a
# PRIVATE apt configuration pointing at trixie (never added to the machine's sources) and unpacked
# with dpkg-deb into .cache/kube/kind; nothing is installed.
#   usage: kube/real-kind.sh KIND_ARGS...     e.g. kube/real-kind.sh create cluster --image IMAGE
# What happens with labdeck's node image: docs/kubernetes-offline.md ("The real kind with this image").
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
source "$here/lib.sh"
dir=${LABDECK_KUBE_CACHE:-$repo/.cache/kube}/kind
suite=trixie
kind=$dir/root/usr/bin/kind

if [[ ! -x $kind ]]; then
  mkdir -p "$dir/lists/partial" "$dir/archives/partial" "$dir/sources.list.d" "$dir/debs"
  dir=$(cd "$dir" && pwd)
  kind=$dir/root/usr/bin/kind
  mirror=$(debian_mirror) || die "no Debian mirror to fetch kind from (above)"
  printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' "$mirror" "$suite" \
    >"$dir/sources.list"
  apt_opts=(
    -o "Dir::Etc::SourceList=$dir/sources.list"
    -o "Dir::Etc::SourceParts=$dir/sources.list.d"
    -o "Dir::State::Lists=$dir/lists"
    -o "Dir::Cache=$dir"
    -o "Dir::Cache::Archives=$dir/archives"
    -o "APT::Sandbox::User=root"
  )
  echo "real kind: downloading Debian $suite's kind package (private apt config in $dir)" >&2
  apt-get "${apt_opts[@]}" -q update >&2
  (cd "$dir/debs" && apt-get "${apt_opts[@]}" -q download kind >&2)
  dpkg-deb -x "$dir"/debs/kind_*.deb "$dir/root"
fi
export KIND_EXPERIMENTAL_PROVIDER=podman CONTAINERS_CONF=$repo/sandbox/containers.conf
exec "$kind" "$@"
