#!/usr/bin/env bash
# Build the Kubernetes binaries the node needs from Debian's source package, with Debian's Go.
#   usage: build-binaries.sh SOURCE.dsc OUT_DIR WORK_DIR
# GOCACHE (default WORK_DIR/go-cache) is Go's build cache: kept by build.sh, it makes a rebuild after
# a change to this script take a minute or two instead of 13.
# Extracts the source (Debian's patches applied) into WORK_DIR/tree, replaces the vendored reflect2,
# runs upstream's `make WHAT=...` the way debian/rules does, and copies the binaries to OUT_DIR.
# About 13 minutes of both cores on a 2-core machine; the caller (build.sh) caches the result.
set -euo pipefail

dsc=${1:?usage: build-binaries.sh SOURCE.dsc OUT_DIR WORK_DIR}
out=${2:?usage: build-binaries.sh SOURCE.dsc OUT_DIR WORK_DIR}
work=${3:?usage: build-binaries.sh SOURCE.dsc OUT_DIR WORK_DIR}
go_root=/usr/lib/go-1.19
reflect2=/usr/share/gocode/src/github.com/modern-go/reflect2
# kubeadm is not used by labdeck's node; it is built for trying the real kind (docs/kubernetes-offline.md).
commands=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl kubeadm)

[[ -x $go_root/bin/go ]] || { echo "missing Go 1.19 (apt-get install golang-1.19-go)" >&2; exit 1; }
[[ -d $reflect2 ]] || { echo "missing $reflect2 (apt-get install golang-github-modern-go-reflect2-dev)" >&2; exit 1; }

rm -rf "$work/tree"
mkdir -p "$work" "$out"
# apt already verified the files against the signed Sources index; dpkg-source only applies the
# patches here (the maintainer's key is not in a keyring on this host).
dpkg-source --no-check -x "$dsc" "$work/tree"
cd "$work/tree"

# The vendored reflect2 1.0.1 reads Go runtime internals that moved in Go 1.18: binaries built with
# Go 1.19 crash at run time. Debian's 1.0.2 has the fix and the same API.
rm -rf vendor/github.com/modern-go/reflect2
cp -r "$reflect2" vendor/github.com/modern-go/reflect2

# As debian/rules: a GOPATH with the tree at k8s.io/kubernetes, static binaries, a private HOME.
mkdir -p .go/src/k8s.io "$work/home"
ln -sfn ../../.. .go/src/k8s.io/kubernetes
export GOPATH=$PWD/.go HOME=$work/home CGO_ENABLED=0 PATH=$go_root/bin:$PATH
# hack/lib/golang.sh points GOCACHE into the tree (_output/local/go/cache): make that our cache.
gocache=${GOCACHE:-$work/go-cache}
mkdir -p "$gocache" _output/local/go
ln -sfn "$gocache" _output/local/go/cache
go version
make WHAT="${commands[*]/#/cmd/}"

for c in "${commands[@]}"; do
  install -m 0755 "_output/bin/$c" "$out/$c"
done
# pause.c from the same tree: the pod sandbox's init process, built into the pause image.
install -m 0644 build/pause/linux/pause.c "$out/pause.c"
