#!/usr/bin/env bash
# Installs the peer terminals the bench compares against (wetty + socket.io-client) into a throwaway
# folder OUTSIDE the repo, so labdeck gains no dependency. Idempotent: does nothing when already there.
# Usage: bash bench/peers.sh [dir]   (default /tmp/bench-peers; exits 0 even when the install fails,
# printing why, so the bench can carry on without the peer.)
set -u
DIR="${1:-${BENCH_PEERS_DIR:-/tmp/bench-peers}}"
WETTY_SPEC="${WETTY_SPEC:-wetty@2}"
mkdir -p "$DIR"
cd "$DIR" || exit 0
if [ -f node_modules/wetty/package.json ] && [ -f node_modules/socket.io-client/package.json ]; then
  echo "peers: already installed in $DIR (wetty $(node -p "require('./node_modules/wetty/package.json').version"))"
  exit 0
fi
[ -f package.json ] || echo '{"name":"bench-peers","private":true,"version":"0.0.0"}' > package.json
echo "peers: installing $WETTY_SPEC and socket.io-client into $DIR"
if ! npm install "$WETTY_SPEC" socket.io-client@4 --no-save --no-audit --no-fund --loglevel=error; then
  echo "peers: npm install failed; the bench runs without wetty" >&2
fi
exit 0
