#!/usr/bin/env bash
# Build localhost/labdeck-sandbox:latest offline (npm run sandbox:build).
#   1. check the host and compute a stamp over every input; an image carrying that stamp is up to date
#   2. rootfs.tar via build-rootfs.sh (mmdebstrap from the host's Debian mirror), cached by its own stamp
#   3. optional tools (kind, crictl, nerdctl) at pinned versions, verified by sha256; skipped offline,
#      where labdeck's offline kind (kube/offline-kind) is installed as kind; and the labdeck agent
#      (sandbox/agent/build.sh: the container's main process, docs/agent.md)
#   4. podman build (FROM scratch + ADD rootfs.tar)
#   5. smoke test
# Environment: LABDECK_SANDBOX_IMAGE (tag), LABDECK_CACHE (artefacts, default .cache/sandbox),
#   LABDECK_REBUILD=1 (ignore the stamps), LABDECK_SANDBOX_TOOLS=0 (never download tools),
#   LABDECK_DEBIAN_MIRROR, LABDECK_KUBECTL (see build-rootfs.sh), KIND_VERSION/KIND_SHA256 etc.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
image=${LABDECK_SANDBOX_IMAGE:-localhost/labdeck-sandbox:latest}
cache=${LABDECK_CACHE:-$repo/.cache/sandbox}
export CONTAINERS_CONF="$here/containers.conf"

# Pinned tools for connected hosts. A checksum mismatch or a failed download skips that tool (and says
# so); it never installs an unverified binary. kind and crictl hashes are the upstream release
# assets' sha256 as pinned by other projects (two sources for kind); nerdctl's comes from one
# third-party pin and has not been verified from this offline host.
KIND_VERSION=${KIND_VERSION:-v0.27.0}
KIND_SHA256=${KIND_SHA256:-a6875aaea358acf0ac07786b1a6755d08fd640f4c79b7a2e46681cc13f49a04b}
CRICTL_VERSION=${CRICTL_VERSION:-v1.32.0}
CRICTL_SHA256=${CRICTL_SHA256:-f050b71d3a73a91a4e0990b90143ed04dcd100cc66f953736fcb6a2730e283c4}
NERDCTL_VERSION=${NERDCTL_VERSION:-2.3.5}
NERDCTL_SHA256=${NERDCTL_SHA256:-de3206aeb7cbd5f20f5fb1f55c1e3bf2db1be567812a8a3f5e65eba2488347ee}

# elapsed, phase, die, stamps, cached_rootfs, podman_build: one copy for the three image builds.
BUILD_NAME="sandbox build" BUILD_STEPS=5
# shellcheck source=SCRIPTDIR/../scripts/lib/image-build.sh
source "$repo/scripts/lib/image-build.sh"
# shellcheck source=SCRIPTDIR/../scripts/lib/debian-mirror.sh
source "$repo/scripts/lib/debian-mirror.sh"

# ---------------------------------------------------------------------------------------------------
phase 1 "checking host and inputs"
[[ $(id -u) == 0 ]] || die "must run as root (mmdebstrap --mode=root, rootful podman)"
for cmd in podman mmdebstrap sha256sum curl tar bc; do
  command -v "$cmd" >/dev/null || die "missing '$cmd' (apt-get install podman mmdebstrap curl bc)"
done
# containers.conf sets nofile=20000 and nproc=4096; podman cannot raise rlimits above the hard limits.
hn=$(ulimit -Hn); hu=$(ulimit -Hu)
[[ $hn == unlimited || $hn -ge 20000 ]] || die "hard nofile limit $hn < 20000: lower default_ulimits in sandbox/containers.conf"
[[ $hu == unlimited || $hu -ge 4096 ]] || die "hard nproc limit $hu < 4096: lower default_ulimits in sandbox/containers.conf"
mirror=$(debian_mirror) || die "no Debian mirror to build from (above)"

kubectl_sum=none
if command -v kubectl >/dev/null 2>&1; then
  k=$(readlink -f "$(command -v kubectl)"); [[ -x ${k}.1.32 ]] && k=${k}.1.32
  kubectl_sum=$(sha256sum "${LABDECK_KUBECTL:-$k}" | cut -d' ' -f1)
fi
# rootfs stamp: what build-rootfs.sh reads, and the mirror it reads from. Image stamp: that plus this
# script, the build library, the Containerfile, and the tool pins.
rootfs_stamp=$( {
  cat "$here/build-rootfs.sh" "$repo"/scripts/lib/debian-{mirror,rootfs}.sh "$here/packages.txt" "$here"/inner/*
  echo "kubectl=$kubectl_sum mirror=$mirror"
} | stamp_of)
tools_wanted=${LABDECK_SANDBOX_TOOLS:-1}
# The image stamp names the optional tools that go INTO the image (verified downloads in the cache),
# not whether downloads were wanted: an offline build and a LABDECK_SANDBOX_TOOLS=0 build make the same
# image, so they stamp alike and never rebuild each other's. (On a host that comes online later,
# LABDECK_REBUILD=1 fetches the tools.)
image_stamp() {
  {
    echo "$rootfs_stamp"
    cat "$here/build.sh" "$repo/scripts/lib/image-build.sh" "$here/Containerfile" "$repo/kube/offline-kind" "$here"/agent/{labdeck-agent.c,frames.h,build.sh}
    echo "tools=$*"
  } | stamp_of
}
cached_tools=()
if [[ $tools_wanted != 0 ]]; then
  for f in "$cache"/downloads/*; do
    case $f in *.err | *.tmp | *'*') ;; *) [[ -f $f ]] && cached_tools+=("$(basename "$f")") ;; esac
  done
fi
stamp=$(image_stamp "${cached_tools[@]}")

if ! rebuilding && [[ $(image_label "$image" labdeck.stamp) == "$stamp" ]]; then
  echo "image up to date: $image (stamp $stamp, $(elapsed))"
  exit 0
fi

# ---------------------------------------------------------------------------------------------------
mkdir -p "$cache/context/tools/usr/local/bin"
rootfs=$cache/rootfs.tar
# About a minute (the debs cached in $cache/debs).
cached_rootfs 2 "$rootfs" "$rootfs_stamp" "$cache/rootfs.log" "$here/build-rootfs.sh" "$cache"

# ---------------------------------------------------------------------------------------------------
phase 3 "optional tools (kind, crictl, nerdctl)"
bin=$cache/context/tools/usr/local/bin
dl=$cache/downloads
mkdir -p "$dl"
installed=(); skipped=()
# fetch NAME URL SHA256 -> $dl/<basename>, verified; returns 1 (and says why) on any failure.
fetch() {
  local name=$1 url=$2 sum=$3 file=$dl/${2##*/}
  if [[ -f $file ]] && echo "$sum  $file" | sha256sum --check --status; then return 0; fi
  if ! curl -fsSL --connect-timeout 3 --max-time 120 -o "$file.tmp" "$url" 2>"$dl/$name.err"; then
    skipped+=("$name ($(head -c 120 "$dl/$name.err" | tr '\n' ' '))"); rm -f "$file.tmp"; return 1
  fi
  if ! echo "$sum  $file.tmp" | sha256sum --check --status; then
    skipped+=("$name (sha256 mismatch: got $(sha256sum "$file.tmp" | cut -c1-16)…)"); rm -f "$file.tmp"; return 1
  fi
  mv "$file.tmp" "$file"
}
rm -f "$bin"/*
if [[ $tools_wanted == 0 ]]; then
  skipped+=("kind crictl nerdctl (LABDECK_SANDBOX_TOOLS=0)")
else
  if fetch kind "https://github.com/kubernetes-sigs/kind/releases/download/$KIND_VERSION/kind-linux-amd64" "$KIND_SHA256"; then
    install -m 0755 "$dl/kind-linux-amd64" "$bin/kind"; installed+=("kind $KIND_VERSION")
  fi
  if fetch crictl "https://github.com/kubernetes-sigs/cri-tools/releases/download/$CRICTL_VERSION/crictl-$CRICTL_VERSION-linux-amd64.tar.gz" "$CRICTL_SHA256"; then
    tar -xzf "$dl/crictl-$CRICTL_VERSION-linux-amd64.tar.gz" -C "$bin" crictl; installed+=("crictl $CRICTL_VERSION")
  fi
  if fetch nerdctl "https://github.com/containerd/nerdctl/releases/download/v$NERDCTL_VERSION/nerdctl-$NERDCTL_VERSION-linux-amd64.tar.gz" "$NERDCTL_SHA256"; then
    tar -xzf "$dl/nerdctl-$NERDCTL_VERSION-linux-amd64.tar.gz" -C "$bin" nerdctl; installed+=("nerdctl $NERDCTL_VERSION")
  fi
fi
# Without the real kind (offline), labdeck's offline kind takes its place: the real one cannot
# create a cluster without a registry anyway (docs/kubernetes-offline.md).
if [[ ! -f $bin/kind ]]; then
  install -m 0755 "$repo/kube/offline-kind" "$bin/kind"; installed+=("offline kind (labdeck)")
fi
# The agent every sandbox runs as its main process (static: no library of the image is needed).
agent_bin=$(bash "$here/agent/build.sh" | tail -n 1) || die "the labdeck agent did not build"
install -m 0755 "$agent_bin" "$bin/labdeck-agent"; installed+=("labdeck-agent $("$agent_bin" version | cut -d' ' -f2)")
for t in "${installed[@]}"; do echo "  installed: $t"; done
for t in "${skipped[@]}"; do echo "  skipped: $t"; done
# Stamp what actually went in (see image_stamp).
got_tools=()
if [[ $tools_wanted != 0 ]]; then
  for f in "$dl"/*; do
    case $f in *.err | *.tmp | *'*') ;; *) [[ -f $f ]] && got_tools+=("$(basename "$f")") ;; esac
  done
fi
stamp=$(image_stamp "${got_tools[@]}")

# ---------------------------------------------------------------------------------------------------
phase 4 "podman build $image"
ctx=$cache/context
cp "$here/Containerfile" "$ctx/Containerfile"
ln -f "$rootfs" "$ctx/rootfs.tar" 2>/dev/null || cp "$rootfs" "$ctx/rootfs.tar"
podman_build "$image" "$ctx" "$cache/podman-build.log" \
  --build-arg "LABDECK_STAMP=$stamp" --build-arg "LABDECK_TOOLS=${installed[*]:-}"

# ---------------------------------------------------------------------------------------------------
phase 5 "smoke test"
podman run --rm --network none "$image" bash -c '
  set -e
  kubectl version --client 2>/dev/null | head -1
  podman --version
  ctr --version
  jq --version >/dev/null; git --version >/dev/null; socat -V >/dev/null; ping -V >/dev/null
  labdeck-agent version
' | sed 's/^/  /' || die "smoke test failed: the image does not have its tools"

done_line "built $image ($(image_mb "$image") MB, stamp $stamp)"
