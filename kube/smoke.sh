#!/usr/bin/env bash
# Start one node from the image kube/build.sh made, prove it works, measure it, remove it.
#   usage: kube/smoke.sh [IMAGE]
# Proves: the node turns Ready; the control plane is listed as static pods (kubectl get pods -A);
# containerd lists their containers; a busybox pod (image loaded offline) runs, logs and execs.
# Prints time to Ready, time to a Running pod and the node's memory. Exits non-zero on any failure,
# with the node's logs. The container has a unique name and is removed on every path.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
source "$here/lib.sh"
image=${1:-${LABDECK_KUBE_IMAGE:-localhost/labdeck-kind-node:v$KUBE_VERSION}}
export CONTAINERS_CONF=$repo/sandbox/containers.conf
name=labdeck-kube-smoke-$$-$RANDOM
node=kind-control-plane
timeout_s=${LABDECK_KUBE_SMOKE_TIMEOUT:-240}
workload=localhost/labdeck/busybox:1.35.0

cleanup() { podman rm -f -v -t 0 "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT
fail() {
  echo "kube smoke: FAILED: $*" >&2
  echo "--- node entrypoint (podman logs) ---" >&2
  podman logs "$name" 2>&1 | tail -n 20 >&2 || true
  echo "--- kubelet.log ---" >&2
  podman exec "$name" tail -n 30 /var/log/kubelet.log 2>/dev/null | cut -c1-300 >&2 || true
  exit 1
}
k() { podman exec "$name" kubectl "$@"; }
now() { date +%s.%N; }
since() { printf '%.1f' "$(echo "$(now) - $1" | bc)"; }
# wait_for WHAT COMMAND...: retry COMMAND (quietly) every 0.5 s until it succeeds or the deadline.
wait_for() {
  local what=$1
  shift
  until "$@" >/dev/null 2>&1; do
    (( $(date +%s) < deadline )) || fail "$what not within ${timeout_s} s"
    sleep 0.5
  done
}
node_ready() { [[ $(k get node "$node" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}') == True ]]; }
pod_running() { [[ $(k get pod smoke -o jsonpath='{.status.phase}') == Running ]]; }
control_plane_running() {
  local c
  for c in etcd kube-apiserver kube-controller-manager kube-scheduler; do
    [[ $(k -n kube-system get pod "$c-$node" -o jsonpath='{.status.phase}') == Running ]] || return 1
  done
}

podman image exists "$image" || { echo "kube smoke: no image $image (run: npm run kube:build)" >&2; exit 1; }
t0=$(now)
deadline=$(( $(date +%s) + timeout_s ))
# The flags the node needs on this kind of host: docs/kubernetes-offline.md.
podman run -d --name "$name" --hostname "$node" --privileged --network none \
  --ulimit nofile=20000:20000 --ulimit nproc=8192:8192 --tmpfs /tmp --tmpfs /run --volume /var \
  "$image" >/dev/null
echo "node container $name started"

wait_for "node Ready" node_ready
ready=$(since "$t0")
echo "node Ready after ${ready} s"

# The controller-manager creates the default ServiceAccount a moment after the API is up; a pod
# created before that is refused.
wait_for "default ServiceAccount" k get serviceaccount default
k run smoke --image="$workload" --image-pull-policy=Never --restart=Never -- \
  sh -c 'echo labdeck-smoke-ok; sleep 3600' >/dev/null || fail "kubectl run"
t_pod=$(now)
wait_for "pod Running" pod_running
echo "pod Running $(since "$t_pod") s after kubectl run ($(since "$t0") s after start)"
wait_for "control plane Running" control_plane_running
echo "control plane listed Running in kube-system $(since "$t0") s after start"

k get pods -A -o wide
k logs smoke | grep -qx labdeck-smoke-ok || fail "kubectl logs did not show the pod's output"
# The pod's hostname is its name: this can only come from inside the pod.
[[ $(k exec smoke -- cat /etc/hostname 2>/dev/null) == smoke ]] || fail "kubectl exec"
listed=$(podman exec "$name" ctr -n k8s.io containers list)
for c in localhost/labdeck/kube-apiserver localhost/labdeck/etcd "$workload"; do
  grep -q "$c" <<<"$listed" || fail "ctr -n k8s.io containers list has no $c container"
done
echo "kubectl logs, kubectl exec and ctr -n k8s.io containers list: ok"
# Memory: the cgroup's RSS (cgroup v1 here); podman stats' figure also counts reclaimable page cache
# (the image import, the binaries), about as much again.
mem=$(podman stats --no-stream --format '{{.MemUsage}}' "$name")
id=$(podman inspect --format '{{.Id}}' "$name")
stat=$(find /sys/fs/cgroup/memory -maxdepth 3 -type d -name "*$id*" -print -quit 2>/dev/null || true)
rss=unknown
[[ -n $stat ]] && rss="$(( $(awk '$1 == "total_rss" { print $2 }' "$stat/memory.stat") / 1048576 )) MiB"
echo "kube smoke: ok: node Ready ${ready} s, memory rss ${rss} (podman stats: ${mem%% /*}) (image $image)"
