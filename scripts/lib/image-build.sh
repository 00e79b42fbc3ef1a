# shellcheck shell=bash
# Sourced by the three offline image builds (sandbox/build.sh, kube/build.sh, deploy/image/build.sh;
# never run): their progress lines, their stamps, the cached Debian root filesystem and the podman
# build that replaces the previous image, one copy (issue 18 §10). Each build hashes this file into its
# image's stamp, so a change here rebuilds the images (their root filesystems and kube's binaries
# keep their own stamps).
# Set before sourcing: BUILD_NAME (errors start with it) and BUILD_STEPS (the number of phases).

: "${t0:=$(date +%s.%N)}"
: "${BUILD_NAME:=build}" "${BUILD_STEPS:=1}"
elapsed() { printf '%.1fs' "$(echo "$(date +%s.%N) - $t0" | bc)"; }
# phase N TEXT: `[N/STEPS  P%] TEXT (elapsed)`
phase() { printf '[%s/%s %3s%%] %s (%s)\n' "$1" "$BUILD_STEPS" "$(( ($1 - 1) * 100 / BUILD_STEPS ))" "$2" "$(elapsed)"; }
die() { echo "$BUILD_NAME: $*" >&2; exit 1; }
# The last line of a build: `[STEPS/STEPS 100%] TEXT in ELAPSED`.
done_line() { printf '[%s/%s 100%%] %s in %s\n' "$BUILD_STEPS" "$BUILD_STEPS" "$1" "$(elapsed)"; }

# stamp_of: stdin as the short hash every stamp and label holds.
stamp_of() { sha256sum | cut -c1-16; }
# LABDECK_REBUILD=1 ignores every stamp.
rebuilding() { [[ ${LABDECK_REBUILD:-0} == 1 ]]; }
# image_label IMAGE LABEL: the label's value on a local image; empty when there is no such image.
image_label() { podman image inspect --format "{{index .Labels \"$2\"}}" "$1" 2>/dev/null || true; }

# cached_rootfs N OUT.tar STAMP LOG BUILDER [ARG...]: phase N. OUT.tar is reused while the stamp file
# beside it (OUT.stamp) holds STAMP; otherwise `BUILDER OUT.tar.tmp ARG...` makes it (output in LOG,
# its tail on failure), and the stamp is written only after it succeeded.
cached_rootfs() {
  local n=$1 out=$2 stamp=$3 log=$4
  shift 4
  local stamp_file=${out%.tar}.stamp
  if ! rebuilding && [[ -f $out && $(cat "$stamp_file" 2>/dev/null) == "$stamp" ]]; then
    phase "$n" "root filesystem up to date ($(du -h "$out" | cut -f1))"
    return
  fi
  phase "$n" "building the root filesystem with mmdebstrap (log: $log)"
  rm -f "$stamp_file"
  if ! "$1" "$out.tmp" "${@:2}" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "root filesystem build failed (full log: $log)"
  fi
  mv "$out.tmp" "$out"
  echo "$stamp" >"$stamp_file"
  echo "  root filesystem: $(du -h "$out" | cut -f1)"
}

# podman_build IMAGE CONTEXT LOG [podman build option...]: build IMAGE from CONTEXT (output in LOG,
# shown on failure), then remove the image it replaced unless something still uses it.
podman_build() {
  local image=$1 ctx=$2 log=$3 old_id new_id
  shift 3
  old_id=$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
  podman build --quiet --layers=false "$@" -t "$image" "$ctx" >"$log" 2>&1 || { cat "$log" >&2; die "podman build failed"; }
  new_id=$(podman image inspect --format '{{.Id}}' "$image")
  if [[ -n $old_id && $old_id != "$new_id" ]]; then
    podman rmi "$old_id" >/dev/null 2>&1 || echo "  (previous image $old_id still in use; left in place)"
  fi
}

# The size of a local image in MB, for the last line.
image_mb() { echo $(( $(podman image inspect --format '{{.Size}}' "$1") / 1000000 )); }
