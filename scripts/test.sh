#!/usr/bin/env bash
# `npm test`: everything, in the order a failure is cheapest to find. First the host: installs and
# configures what the tests need (scripts/setup-system.sh), builds the sandbox image, and proves the
# result with real containers and a browser (scripts/smoke-system.ts), so a host problem is named in
# one line before any test runs instead of failing a dozen of them. Used as-is by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
# Every runner's output also goes to this log, so the closing line can add up the counts.
counts=$(mktemp)
trap 'rm -f "$counts"' EXIT
phase() {
  echo
  echo "=== $1 ($((SECONDS - started)) s so far)"
}

phase "system packages"
bash scripts/setup-system.sh

phase "sandbox image (cached)"
# Tests never download kind/crictl/nerdctl (network tests stay on loopback); a workshop build does.
LABDECK_SANDBOX_TOOLS=0 bash sandbox/build.sh

phase "Kubernetes node image (reused when its recipe label matches; a fresh machine compiles for ~15 min)"
# Builds localhost/labdeck-kind-node and shares it with privileged sandboxes (the seed e2e spec's
# `kind create cluster`). A warm machine takes seconds, even with .cache/kube gone.
bash kube/build.sh

phase "smoke test of the host (real containers, Chromium)"
npx tsx scripts/smoke-system.ts

phase "type check and lint"
npx tsc --noEmit -p tsconfig.json
npx eslint .
node scripts/check-imports.mjs

phase "labs parse (every lab in labs/)"
npx tsx server/labs/check-cli.ts

phase "unit tests"
node scripts/run-node-tests.mjs unit | tee -a "$counts"

phase "web UI build"
node scripts/start.mjs --build-only

phase "integration tests (real server, real shells, real podman)"
node scripts/run-node-tests.mjs integration | tee -a "$counts"

phase "end-to-end tests (Chromium)"
# The seed sequence (e2e/seed.spec.ts) must run here, not skip: the node image was built above.
LABDECK_SEED_REQUIRED=1 npx playwright test | tee -a "$counts"

node_passed=$(grep -E '^ℹ pass [0-9]+' "$counts" | awk '{s += $3} END {print s + 0}')
e2e_passed=$(grep -E '^ +[0-9]+ passed' "$counts" | awk '{s += $1} END {print s + 0}')
echo
echo "=== all tests passed in $((SECONDS - started)) s (unit + integration: $node_passed, end-to-end: $e2e_passed)"
echo "$((node_passed + e2e_passed)) passed, 0 failed"
