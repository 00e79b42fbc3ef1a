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

# elapsed, phase, die, stamps, cached_rootfs, podman_build: one copy for the three image builds.
BUILD_NAME="server image build" BUILD_STEPS=5
# shellcheck source=SCRIPTDIR/../../scripts/lib/image-build.sh
source "$repo/scripts/lib/image-build.sh"
# debian_rootfs, debian_packages, debian_mirror: the mmdebstrap call shared with sandbox/ and kube/.
# shellcheck source=SCRIPTDIR/../../scripts/lib/debian-rootfs.sh
source "$repo/scripts/lib/debian-rootfs.sh"

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
mirror=$(debian_mirror) || die "no Debian mirror to build from (above)"

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
  echo "mirror=$mirror"
} | stamp_of)
stamp=$( {
  echo "$rootfs_stamp"
  cat "$here/Containerfile" "$repo/scripts/lib/image-build.sh"
  sha256sum "$node_bin" "$repo/node_modules/.package-lock.json" | cut -d' ' -f1
  app_files | LC_ALL=C sort | (cd "$repo" && xargs -d '\n' sha256sum)
} | stamp_of)

if ! rebuilding && [[ $(image_label "$image" labdeck.stamp) == "$stamp" ]]; then
  echo "image up to date: $image (stamp $stamp, $(elapsed))"
  exit 0
fi

# ---------------------------------------------------------------------------------------------------
mkdir -p "$cache"
rootfs=$cache/rootfs.tar
# "$1" in the hooks is the chroot, expanded by mmdebstrap's shell, not this one.
# shellcheck disable=SC2016
cached_rootfs 2 "$rootfs" "$rootfs_stamp" "$cache/rootfs.log" debian_rootfs "$cache" "$(debian_packages "$here/packages.txt")" \
  --customize-hook='chroot "$1" groupadd --gid 10001 labdeck' \
  --customize-hook='chroot "$1" useradd --uid 10001 --gid 10001 --no-create-home --home-dir /app --shell /usr/sbin/nologin labdeck' \
  --customize-hook='install -d -m 0700 -o 10001 -g 10001 "$1"/data'

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
podman_build "$image" "$ctx" "$cache/podman-build.log" --build-arg "LABDECK_STAMP=$stamp" --build-arg "LABDECK_VERSION=$version"
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

done_line "built $image ($(image_mb "$image") MB, stamp $stamp)"
