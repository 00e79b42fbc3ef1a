#!/usr/bin/env bash
# Build localhost/labdeck-server:<package.json version> offline (npm run deploy:image): the image
# deploy/deployment.yaml runs. No registry and no npm download:
#   1. check the host and compute a stamp over every input; an image carrying that stamp is up to date
#   2. rootfs.tar: Debian bookworm minbase + packages.txt (scripts/lib/debian-rootfs.sh), the labdeck
#      user (uid 10001) and /data, cached by its own stamp
#   3. the app: `node scripts/start.mjs --build-only` (the web UI, skipped when fresh), then the server's
#      sources, labs/, .next (without its cache) and node_modules pruned to production (`npm prune
#      --omit=dev`, offline, in a copy: the worktree's node_modules is untouched)
#   4. podman build (FROM scratch + ADD rootfs.tar + the host's node + the app)
#   5. smoke test: native modules load, the UI build is the one start.mjs expects, uid 10001
# Node: the host's own binary (Node 20; Debian bookworm's nodejs is 18, older than package.json's
# engines). The native modules (node-pty, better-sqlite3) were compiled on this host against its
# glibc and Node ABI, so the image must carry both: the same Debian release and the same node.
# Environment: LABDECK_SERVER_IMAGE (tag), LABDECK_CACHE (artefacts, default .cache/server-image),
#   LABDECK_REBUILD=1 (ignore the stamps), LABDECK_DEBIAN_MIRROR (scripts/lib/debian-mirror.sh).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
version=$(node -p 'require(process.argv[1]).version' "$repo/package.json")
image=${LABDECK_SERVER_IMAGE:-localhost/labdeck-server:$version}
cache=${LABDECK_CACHE:-$repo/.cache/server-image}
export CONTAINERS_CONF="$repo/sandbox/containers.conf"

t0=$(date +%s.%N)
elapsed() { printf '%.1fs' "$(echo "$(date +%s.%N) - $t0" | bc)"; }
phase() { printf '[%s/5 %3s%%] %s (%s)\n' "$1" "$(( ($1 - 1) * 100 / 5 ))" "$2" "$(elapsed)"; }
die() { echo "server image build: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------------
phase 1 "checking host and inputs"
[[ $(id -u) == 0 ]] || die "must run as root (mmdebstrap --mode=root, rootful podman)"
for cmd in podman mmdebstrap sha256sum tar bc node npm; do
  command -v "$cmd" >/dev/null || die "missing '$cmd' (apt-get install podman mmdebstrap bc; Node 20 from nodejs.org)"
done
node_bin=$(readlink -f "$(command -v node)")
node_major=$(node -p 'process.versions.node.split(".")[0]')
[[ $node_major == 20 ]] || die "the host's node is $(node -v); the image carries the host's binary and needs Node 20 (the native modules are built for its ABI)"
grep -qx "VERSION_CODENAME=bookworm" /etc/os-release \
  || die "the host is not Debian bookworm: the native modules built here would not match the image's glibc"
[[ -d $repo/node_modules/node-pty && -d $repo/node_modules/better-sqlite3 ]] || die "node_modules is missing: run npm ci first"

# The app's files as the image gets them: the server and its wire contract, the UI's sources (start.mjs
# hashes every file of app/ and common/, tests too, to know that .next is fresh), the labs, and the files node and Next read at start.
app_files() {
  cd "$repo"
  find app common labs -type f -print
  find server -type f ! -name '*.test.ts' -print
  printf '%s\n' scripts/start.mjs next.config.js package.json package-lock.json tsconfig.json
}
rootfs_stamp=$( {
  cat "$here/build.sh" "$here/packages.txt" "$repo"/scripts/lib/debian-{mirror,rootfs}.sh
  echo "mirror=${LABDECK_DEBIAN_MIRROR:-}"
} | sha256sum | cut -c1-16)
stamp=$( {
  echo "$rootfs_stamp"
  cat "$here/Containerfile"
  sha256sum "$node_bin" "$repo/node_modules/.package-lock.json" | cut -d' ' -f1
  app_files | LC_ALL=C sort | (cd "$repo" && xargs -d '\n' sha256sum)
} | sha256sum | cut -c1-16)

if [[ ${LABDECK_REBUILD:-0} != 1 ]]; then
  have=$(podman image inspect --format '{{index .Labels "labdeck.stamp"}}' "$image" 2>/dev/null || true)
  if [[ $have == "$stamp" ]]; then
    echo "image up to date: $image (stamp $stamp, $(elapsed))"
    exit 0
  fi
fi

# ---------------------------------------------------------------------------------------------------
mkdir -p "$cache"
rootfs=$cache/rootfs.tar
if [[ ${LABDECK_REBUILD:-0} != 1 && -f $rootfs && $(cat "$cache/rootfs.stamp" 2>/dev/null) == "$rootfs_stamp" ]]; then
  phase 2 "rootfs up to date ($(du -h "$rootfs" | cut -f1))"
else
  phase 2 "building rootfs with mmdebstrap (log: $cache/rootfs.log)"
  rm -f "$cache/rootfs.stamp"
  # shellcheck source=SCRIPTDIR/../../scripts/lib/debian-rootfs.sh
  source "$repo/scripts/lib/debian-rootfs.sh"
  # "$1" in the hooks is the chroot, expanded by mmdebstrap's shell, not this one.
  # shellcheck disable=SC2016
  if ! debian_rootfs "$rootfs.tmp" "$cache" "$(debian_packages "$here/packages.txt")" \
    --customize-hook='chroot "$1" groupadd --gid 10001 labdeck' \
    --customize-hook='chroot "$1" useradd --uid 10001 --gid 10001 --no-create-home --home-dir /app --shell /usr/sbin/nologin labdeck' \
    --customize-hook='install -d -m 0700 -o 10001 -g 10001 "$1"/data' \
    >"$cache/rootfs.log" 2>&1; then
    tail -n 30 "$cache/rootfs.log" >&2
    die "rootfs build failed (full log: $cache/rootfs.log)"
  fi
  mv "$rootfs.tmp" "$rootfs"
  echo "$rootfs_stamp" >"$cache/rootfs.stamp"
  echo "  rootfs: $(du -h "$rootfs" | cut -f1)"
fi

# ---------------------------------------------------------------------------------------------------
phase 3 "the app: web UI build, sources, production node_modules"
(cd "$repo" && node scripts/start.mjs --build-only) >"$cache/app-build.log" 2>&1 \
  || { tail -n 30 "$cache/app-build.log" >&2; die "the web UI build failed (full log: $cache/app-build.log)"; }
ctx=$cache/context
rm -rf "$ctx"
mkdir -p "$ctx/app"
app_files | (cd "$repo" && tar -cf - -T -) | tar -xf - -C "$ctx/app"
(cd "$repo" && tar -cf - --exclude=.next/cache .next) | tar -xf - -C "$ctx/app"
cp -a "$repo/node_modules" "$ctx/app/node_modules"
(cd "$ctx/app" && npm prune --omit=dev --offline --ignore-scripts --no-audit --no-fund) >"$cache/prune.log" 2>&1 \
  || { tail -n 30 "$cache/prune.log" >&2; die "npm prune failed (full log: $cache/prune.log)"; }
echo "  app: $(du -sh "$ctx/app" | cut -f1) (node_modules $(du -sh "$ctx/app/node_modules" | cut -f1))"

# ---------------------------------------------------------------------------------------------------
phase 4 "podman build $image"
cp "$here/Containerfile" "$ctx/Containerfile"
ln -f "$rootfs" "$ctx/rootfs.tar" 2>/dev/null || cp "$rootfs" "$ctx/rootfs.tar"
cp "$node_bin" "$ctx/node"
old_id=$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
podman build --quiet --layers=false \
  --build-arg "LABDECK_STAMP=$stamp" --build-arg "LABDECK_VERSION=$version" \
  -t "$image" "$ctx" >"$cache/podman-build.log" 2>&1 || { cat "$cache/podman-build.log" >&2; die "podman build failed"; }
new_id=$(podman image inspect --format '{{.Id}}' "$image")
if [[ -n $old_id && $old_id != "$new_id" ]]; then
  podman rmi "$old_id" >/dev/null 2>&1 || echo "  (previous image $old_id still in use; left in place)"
fi
rm -rf "$ctx"

# ---------------------------------------------------------------------------------------------------
phase 5 "smoke test"
# --build-only exits at once when .next matches the sources; otherwise it would try to build (and fail
# without the dev dependencies), so "building" in its output means the image's UI is stale.
podman run --rm --network none --entrypoint /bin/sh "$image" -c '
  set -e
  [ "$(id -u):$(id -g)" = 10001:10001 ]
  node -v
  node -e "new (require(\"better-sqlite3\"))(\":memory:\").prepare(\"select 1\").get(); require(\"node-pty\")"
  out=$(node scripts/start.mjs --build-only 2>&1)
  case $out in *building*) echo "stale UI build: $out"; exit 1 ;; esac
  touch /data/.w && rm /data/.w
' | sed 's/^/  /' || die "smoke test failed (above)"

size=$(podman image inspect --format '{{.Size}}' "$image")
printf '[5/5 100%%] built %s (%s MB, stamp %s) in %s\n' "$image" "$(( size / 1000000 ))" "$stamp" "$(elapsed)"
