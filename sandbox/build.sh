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

t0=$(date +%s.%N)
elapsed() { printf '%.1fs' "$(echo "$(date +%s.%N) - $t0" | bc)"; }
phase() { printf '[%s/5 %3s%%] %s (%s)\n' "$1" "$(( ($1 - 1) * 100 / 5 ))" "$2" "$(elapsed)"; }
die() { echo "sandbox build: $*" >&2; exit 1; }

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

kubectl_sum=none
if command -v kubectl >/dev/null 2>&1; then
  k=$(readlink -f "$(command -v kubectl)"); [[ -x ${k}.1.32 ]] && k=${k}.1.32
  kubectl_sum=$(sha256sum "${LABDECK_KUBECTL:-$k}" | cut -d' ' -f1)
fi
# rootfs stamp: what build-rootfs.sh reads. Image stamp: that plus this script, the Containerfile,
# and the tool pins.
rootfs_stamp=$( {
  cat "$here/build-rootfs.sh" "$repo"/scripts/lib/debian-{mirror,rootfs}.sh "$here/packages.txt" "$here"/inner/*
  echo "kubectl=$kubectl_sum mirror=${LABDECK_DEBIAN_MIRROR:-}"
} | sha256sum | cut -c1-16)
tools_wanted=${LABDECK_SANDBOX_TOOLS:-1}
# The image stamp names the optional tools that go INTO the image (verified downloads in the cache),
# not whether downloads were wanted: an offline build and a LABDECK_SANDBOX_TOOLS=0 build make the same
# image, so they stamp alike and never rebuild each other's. (On a host that comes online later,
# LABDECK_REBUILD=1 fetches the tools.)
image_stamp() {
  {
    echo "$rootfs_stamp"
    cat "$here/build.sh" "$here/Containerfile" "$repo/kube/offline-kind" "$here"/agent/{labdeck-agent.c,frames.h,build.sh}
    echo "tools=$*"
  } | sha256sum | cut -c1-16
}
cached_tools=()
if [[ $tools_wanted != 0 ]]; then
  for f in "$cache"/downloads/*; do
    case $f in *.err | *.tmp | *'*') ;; *) [[ -f $f ]] && cached_tools+=("$(basename "$f")") ;; esac
  done
fi
stamp=$(image_stamp "${cached_tools[@]}")

if [[ ${LABDECK_REBUILD:-0} != 1 ]]; then
  have=$(podman image inspect --format '{{index .Labels "labdeck.stamp"}}' "$image" 2>/dev/null || true)
  if [[ $have == "$stamp" ]]; then
    echo "image up to date: $image (stamp $stamp, $(elapsed))"
    exit 0
  fi
fi

# ---------------------------------------------------------------------------------------------------
mkdir -p "$cache/context/tools/usr/local/bin"
rootfs=$cache/rootfs.tar
if [[ ${LABDECK_REBUILD:-0} != 1 && -f $rootfs && $(cat "$cache/rootfs.stamp" 2>/dev/null) == "$rootfs_stamp" ]]; then
  phase 2 "rootfs up to date ($(du -h "$rootfs" | cut -f1))"
else
  phase 2 "building rootfs with mmdebstrap (about a minute; log: $cache/rootfs.log)"
  rm -f "$cache/rootfs.stamp"
  if ! "$here/build-rootfs.sh" "$rootfs.tmp" "$cache" >"$cache/rootfs.log" 2>&1; then
    tail -n 30 "$cache/rootfs.log" >&2
    die "rootfs build failed (full log: $cache/rootfs.log)"
  fi
  mv "$rootfs.tmp" "$rootfs"
  echo "$rootfs_stamp" >"$cache/rootfs.stamp"
  echo "  rootfs: $(du -h "$rootfs" | cut -f1)"
fi

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
old_id=$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
podman build --quiet --layers=false \
  --build-arg "LABDECK_STAMP=$stamp" \
  --build-arg "LABDECK_TOOLS=${installed[*]:-}" \
  -t "$image" "$ctx" >"$cache/podman-build.log" 2>&1 || { cat "$cache/podman-build.log" >&2; die "podman build failed"; }
new_id=$(podman image inspect --format '{{.Id}}' "$image")
if [[ -n $old_id && $old_id != "$new_id" ]]; then
  podman rmi "$old_id" >/dev/null 2>&1 || echo "  (previous image $old_id still in use; left in place)"
fi

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

size=$(podman image inspect --format '{{.Size}}' "$image")
printf '[5/5 100%%] built %s (%s MB, stamp %s) in %s\n' "$image" "$(( size / 1000000 ))" "$stamp" "$(elapsed)"
