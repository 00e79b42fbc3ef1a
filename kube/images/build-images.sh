#!/usr/bin/env bash
# Build the container images the node runs, without a registry, as OCI archives that the node's
# entrypoint imports into containerd (namespace k8s.io) at start.
#   usage: build-images.sh BIN_DIR ROOTFS.tar OUT_DIR WORK_DIR
# BIN_DIR holds the built Kubernetes binaries and pause.c (build-binaries.sh); ROOTFS.tar is the node's
# root filesystem (node/build-rootfs.sh), the source of etcd. Writes OUT_DIR/*.tar and
# OUT_DIR/images.txt (one image name a line). Every image is FROM scratch: the binary and, for
# Debian's dynamically linked etcd, its two libraries.
set -euo pipefail

bin=${1:?usage: build-images.sh BIN_DIR ROOTFS.tar OUT_DIR WORK_DIR}
rootfs=${2:?usage: build-images.sh BIN_DIR ROOTFS.tar OUT_DIR WORK_DIR}
out=${3:?usage: build-images.sh BIN_DIR ROOTFS.tar OUT_DIR WORK_DIR}
work=${4:?usage: build-images.sh BIN_DIR ROOTFS.tar OUT_DIR WORK_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/../lib.sh
source "$here/../lib.sh"
# Names that say where the images come from; kind's node has the upstream registry's names for the same roles.
prefix=localhost/labdeck
rm -rf "$work" "$out"
mkdir -p "$work" "$out"

# image NAME CONTEXT_DIR [Containerfile lines...]: podman build, then save as an OCI archive.
image() {
  local name=$1 ctx=$2 file
  shift 2
  printf '%s\n' 'FROM scratch' "$@" "LABEL org.opencontainers.image.source=\"labdeck kube/images/build-images.sh\"" \
    >"$ctx/Containerfile"
  podman build --quiet --layers=false -t "$name" "$ctx" >/dev/null
  file=$out/$(basename "${name%%:*}").tar
  podman save --quiet --format oci-archive -o "$file" "$name"
  podman rmi "$name" >/dev/null
  echo "$name" >>"$out/images.txt"
  echo "  $name ($(du -h "$file" | cut -f1))"
}

# pause: the pod sandbox's PID 1, from the Kubernetes tree (build/pause/linux/pause.c), flags as in
# build/pause/Makefile.
mkdir -p "$work/pause"
gcc -Os -Wall -Werror -static -DVERSION=v3.4-labdeck -o "$work/pause/pause" "$bin/pause.c"
strip "$work/pause/pause"
image "$prefix/pause:3.4" "$work/pause" 'COPY pause /pause' 'ENTRYPOINT ["/pause"]'

# busybox: Debian's busybox-static, a small workload image for the labs (sh, sleep, wget, ...).
mkdir -p "$work/busybox/bin"
install -m 0755 /bin/busybox "$work/busybox/bin/busybox"
bb_version=$(/bin/busybox | head -1 | sed -n 's/^BusyBox v\([0-9.]*\).*/\1/p')
image "$prefix/busybox:$bb_version" "$work/busybox" 'COPY bin/ /bin/' \
  'RUN ["/bin/busybox", "--install", "-s", "/bin"]' 'CMD ["sh"]'

# etcd: Debian's etcd-server from the node's rootfs, with the libc it links against.
mkdir -p "$work/etcd"
tar -xf "$rootfs" -C "$work/etcd" ./usr/bin/etcd ./usr/lib/x86_64-linux-gnu/libc.so.6 \
  ./usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
etcd_version=$("$work/etcd/usr/bin/etcd" --version | sed -n 's/^etcd Version: //p')
[[ -n $etcd_version ]] || die "cannot read the etcd version from the rootfs"
image "$prefix/etcd:$etcd_version" "$work/etcd" 'COPY usr/bin/etcd /usr/local/bin/etcd' \
  'COPY usr/lib/x86_64-linux-gnu/ /lib/x86_64-linux-gnu/' \
  'COPY usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 /lib64/ld-linux-x86-64.so.2' \
  'ENTRYPOINT ["/usr/local/bin/etcd"]'

# The control plane: one static binary each, the same build as the node's kubelet and kubectl.
for c in kube-apiserver kube-controller-manager kube-scheduler; do
  mkdir -p "$work/$c"
  ln -f "$bin/$c" "$work/$c/$c" 2>/dev/null || cp "$bin/$c" "$work/$c/$c"
  image "$prefix/$c:v$KUBE_VERSION" "$work/$c" "COPY $c /usr/local/bin/$c" "ENTRYPOINT [\"/usr/local/bin/$c\"]"
done
rm -rf "$work"
