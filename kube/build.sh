#!/usr/bin/env bash
# Build localhost/labdeck-kind-node:v1.20.2 offline (npm run kube:build): a kind-like Kubernetes node
# from Debian's own packages and sources, no registry involved. See docs/kubernetes-offline.md.
#   1. check the host (packages.txt)
#   2. Debian's `kubernetes` source package, with a private apt config (fetch-source.sh)
#   3. the Kubernetes binaries with Debian's Go (build-binaries.sh), cached by the source's checksum:
#      the cold build is about 13 minutes on 2 cores, later runs reuse it
#   4. the node's root filesystem (node/build-rootfs.sh, mmdebstrap), cached by its own stamp
#   5. the images the node runs, as OCI archives (images/build-images.sh): pause, etcd, the control
#      plane, busybox
#   6. podman build of the node image (node/Containerfile)
#   7. the image shared with privileged sandboxes: the podman volume labdeck-kind-images, a read-only
#      image store in every privileged sandbox (server/sandbox/podman/run-flags.ts)
#   8. smoke test
# Every step is skipped when its stamp matches; a warm run takes seconds. Before any of them, an image
# whose labdeck.recipe label matches every input of this recipe (below) is reused as it is, without
# the source, the binaries or the rootfs: a machine whose .cache was cleaned (CI) rebuilds nothing.
# Environment: LABDECK_KUBE_IMAGE (tag), LABDECK_KUBE_CACHE (artefacts, default .cache/kube),
#   LABDECK_REBUILD=1 (ignore the stamps; the binaries too), LABDECK_DEBIAN_MIRROR,
#   LABDECK_KIND_IMAGES_VOLUME (the shared store's volume; run-flags.ts mounts labdeck-kind-images).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck disable=SC2034  # read by phase (scripts/lib/image-build.sh, through lib.sh)
BUILD_STEPS=8
# shellcheck source=SCRIPTDIR/lib.sh
source "$here/lib.sh"
image=${LABDECK_KUBE_IMAGE:-localhost/labdeck-kind-node:v$KUBE_VERSION}
cache=${LABDECK_KUBE_CACHE:-$repo/.cache/kube}
rebuild=${LABDECK_REBUILD:-0}
export CONTAINERS_CONF=$repo/sandbox/containers.conf
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

# ---------------------------------------------------------------------------------------------------
phase 1 "checking host"
[[ $(id -u) == 0 ]] || die "must run as root (mmdebstrap --mode=root, rootful podman)"
missing=()
while read -r pkg; do
  [[ -z $pkg || $pkg == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done <"$here/packages.txt"
(( ${#missing[@]} == 0 )) || die "missing Debian packages: apt-get install ${missing[*]}"
mirror=$(debian_mirror) || die "no Debian mirror to build from (above)"

# The recipe: every input this script reads, except the artefacts it makes from them (the source
# download, the binaries, the rootfs). The source is pinned by version (lib.sh); a Debian security
# update to it on the mirror is picked up by LABDECK_REBUILD=1, not by this key.
recipe=$( {
  cd "$repo"
  find kube/build.sh kube/lib.sh kube/packages.txt kube/fetch-source.sh kube/build-binaries.sh kube/images \
    kube/node scripts/lib/debian-mirror.sh scripts/lib/debian-rootfs.sh scripts/lib/image-build.sh -type f -print0 \
    | LC_ALL=C sort -z | xargs -0 sha256sum
  find kube/node/files -print0 | LC_ALL=C sort -z | xargs -0 stat -c '%n %a %F'
  /usr/lib/go-1.19/bin/go version
  dpkg-query -W -f='${Version}' golang-github-modern-go-reflect2-dev
  sha256sum /bin/busybox
  echo "mirror=$mirror"
} | stamp_of)
have_recipe=$(image_label "$image" labdeck.recipe)
if [[ $rebuild != 1 && $have_recipe == "$recipe" ]]; then
  phase 2 "node image up to date: $image (recipe $recipe); steps 2-6 skipped"
  reused=1
else
  reused=0
fi

if ((!reused)); then
# ---------------------------------------------------------------------------------------------------
phase 2 "Kubernetes $KUBE_VERSION source from Debian"
dsc=$("$here/fetch-source.sh" "$cache")
echo "  $(basename "$dsc")"
# The .dsc names the sha256 of every file of the source package: it is the source's checksum.
bin_key=$( {
  cat "$dsc" "$here/build-binaries.sh"
  /usr/lib/go-1.19/bin/go version
  dpkg-query -W -f='${Version}' golang-github-modern-go-reflect2-dev
} | stamp_of)
bin=$cache/bin/$bin_key

# ---------------------------------------------------------------------------------------------------
if [[ $rebuild != 1 && -f $bin/.done ]]; then
  phase 3 "Kubernetes binaries up to date ($bin)"
else
  phase 3 "building Kubernetes binaries: cold build: about 13 minutes on 2 cores (log: $cache/binaries.log)"
  rm -rf "$bin"
  GOCACHE=$cache/go-cache "$here/build-binaries.sh" "$dsc" "$bin" "$cache/work" >"$cache/binaries.log" 2>&1 &
  builder=$!
  # A line every 30 s, so a 13-minute step does not look hung.
  while kill -0 "$builder" 2>/dev/null; do
    for _ in $(seq 1 30); do kill -0 "$builder" 2>/dev/null && sleep 1; done
    kill -0 "$builder" 2>/dev/null && printf '  … %s: compiling (%s)\n' "$(elapsed)" \
      "$(grep -o 'Building go targets\|Generating\|Building' "$cache/binaries.log" | tail -1 || echo starting)"
  done
  if ! wait "$builder"; then
    tail -n 30 "$cache/binaries.log" >&2
    die "Kubernetes build failed (full log: $cache/binaries.log)"
  fi
  touch "$bin/.done"
  rm -rf "$cache/work"
  # Older builds (another source or script version) are not needed any more: 380 MB each.
  find "$cache/bin" -mindepth 1 -maxdepth 1 ! -name "$bin_key" -exec rm -rf {} +
  echo "  built: $(find "$bin" -mindepth 1 -maxdepth 1 ! -name '.*' -printf '%f ')($(du -sh "$bin" | cut -f1))"
fi

# ---------------------------------------------------------------------------------------------------
rootfs=$cache/rootfs.tar
rootfs_stamp=$( {
  cat "$here/node/build-rootfs.sh" "$here/node/packages.txt" "$repo"/scripts/lib/debian-{mirror,rootfs}.sh
  echo "mirror=$mirror"
} | stamp_of)
# About 80 s (the debs cached in $cache/debs).
cached_rootfs 4 "$rootfs" "$rootfs_stamp" "$cache/rootfs.log" "$here/node/build-rootfs.sh" "$cache"

# ---------------------------------------------------------------------------------------------------
images=$cache/images
images_stamp=$( {
  echo "$bin_key $rootfs_stamp"
  cat "$here/images/build-images.sh" "$here/lib.sh"
  sha256sum /bin/busybox
} | stamp_of)
if [[ $rebuild != 1 && $(cat "$images/.stamp" 2>/dev/null) == "$images_stamp" ]]; then
  phase 5 "node's images up to date"
else
  phase 5 "building the node's images (pause, busybox, etcd, control plane)"
  "$here/images/build-images.sh" "$bin" "$rootfs" "$images" "$cache/images-work"
  echo "$images_stamp" >"$images/.stamp"
fi
# Every image the node's configuration names must be among the archives (the manifests and the
# containerd config own the names; an etcd update in Debian would otherwise surface at node start).
wanted=$(cat "$here"/node/files/etc/kubernetes/manifests/*.yaml | sed -n 's/^ *image: *//p'
  sed -n 's/^ *sandbox_image *= *"\(.*\)"/\1/p' "$here/node/files/etc/containerd/config.toml")
for name in $wanted; do
  grep -qxF "$name" "$images/images.txt" || die "the node's configuration names $name, but the built images are: $(paste -sd ' ' "$images/images.txt")"
done

# ---------------------------------------------------------------------------------------------------
stamp=$( {
  echo "$images_stamp"
  cat "$here/build.sh" "$repo/scripts/lib/image-build.sh" "$here/node/Containerfile"
  (cd "$here/node/files" && find . -print0 | LC_ALL=C sort -z | xargs -0 stat -c '%n %a %F %N' && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 cat)
} | stamp_of)
if [[ $rebuild != 1 && $(image_label "$image" labdeck.stamp) == "$stamp" ]]; then
  phase 6 "node image up to date: $image (stamp $stamp)"
else
  phase 6 "podman build $image"
  ctx=$cache/context
  rm -rf "$ctx"
  mkdir -p "$ctx/bin"
  cp "$here/node/Containerfile" "$ctx/Containerfile"
  ln -f "$rootfs" "$ctx/rootfs.tar" 2>/dev/null || cp "$rootfs" "$ctx/rootfs.tar"
  for b in kubelet kubectl; do ln -f "$bin/$b" "$ctx/bin/$b" 2>/dev/null || cp "$bin/$b" "$ctx/bin/$b"; done
  cp -a "$images" "$ctx/images"
  rm -f "$ctx/images/.stamp"
  cp -a "$here/node/files" "$ctx/files"
  podman_build "$image" "$ctx" "$cache/podman-build.log" --build-arg "LABDECK_STAMP=$stamp" --build-arg "LABDECK_RECIPE=$recipe"
  rm -rf "$ctx"
fi

fi # reused

# ---------------------------------------------------------------------------------------------------
# A separate store holding only this image, not the host's own store mounted read-only: the host's
# store also holds every sandbox's writable layer, which one attendee must not read of another's.
volume=${LABDECK_KIND_IMAGES_VOLUME:-labdeck-kind-images}
podman volume exists "$volume" || podman volume create --label labdeck.kind-images=1 "$volume" >/dev/null
store=$(podman volume inspect --format '{{.Mountpoint}}' "$volume")
# One runroot for the store, always: podman records it in the store's database and refuses another.
shared() { podman --root "$store" --runroot "/run/labdeck-kind-images" "$@"; }
want_id=$(podman image inspect --format '{{.Id}}' "$image")
have_id=$(shared image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
if [[ $rebuild != 1 && $have_id == "$want_id" ]]; then
  phase 7 "shared with privileged sandboxes: volume $volume up to date"
else
  phase 7 "sharing $image with privileged sandboxes (volume $volume, one copy per host)"
  podman push --quiet "$image" "containers-storage:[overlay@$store+/run/labdeck-kind-images]$image" >/dev/null \
    || die "could not copy $image into the volume $volume ($store)"
  # Older node images in the store: a privileged sandbox's node may run on their layers (the store
  # does not know it), so they go only while no privileged sandbox runs; a later build removes them.
  olds=$(shared images --format '{{.Id}}' | grep -vx "$want_id" || true)
  if [[ -n $olds && -n $(podman ps -q --filter label=labdeck.isolation=privileged) ]]; then
    echo "  older node images kept in $volume while privileged sandboxes run: $(echo "$olds" | cut -c1-12 | paste -sd ' ')"
  else
    for old in $olds; do shared rmi -f "$old" >/dev/null; done
  fi
  echo "  $(du -sh "$store" | cut -f1) in $store"
fi
# c/storage leaves its graph directory bind-mounted on itself; nothing needs it mounted any more.
umount "$store/overlay" 2>/dev/null || true
rm -rf "/run/labdeck-kind-images"

# ---------------------------------------------------------------------------------------------------
phase 8 "smoke test"
podman run --rm --network none --entrypoint /bin/bash "$image" -c '
  set -e
  kubelet --version
  kubectl version --client --short
  containerd --version
  etcd --version | head -1
  ls /usr/share/labdeck/images/*.tar >/dev/null
' | sed 's/^/  /' || die "smoke test failed: the node image lacks its binaries"
done_line "$image ($(image_mb "$image") MB); run it: see docs/kubernetes-offline.md"
