#!/usr/bin/env bash
# Build the labdeck agent (sandbox/agent/labdeck-agent.c): static, libc only, warnings as errors.
# Cached in .cache/agent/ by a hash of its sources (and the compiler), so an unchanged agent costs
# nothing. Prints the binary's path on its last line. LABDECK_CACHE_AGENT overrides the folder.
#   bash sandbox/agent/build.sh        → .cache/agent/labdeck-agent-<hash>, linked as .cache/agent/labdeck-agent
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${LABDECK_CACHE_AGENT:-$repo/.cache/agent}
command -v gcc >/dev/null || { echo "agent build: gcc is missing (apt-get install gcc libc6-dev)" >&2; exit 1; }
hash=$( { cat "$here/labdeck-agent.c" "$here/frames.h" "$here/build.sh"; gcc --version | head -1; } | sha256sum | cut -c1-16)
bin=$out/labdeck-agent-$hash
if [[ ! -x $bin ]]; then
  mkdir -p "$out"
  gcc -static -O2 -Wall -Wextra -Werror -std=gnu11 -DLD_AGENT_VERSION="\"$hash\"" \
    -o "$bin.tmp" "$here/labdeck-agent.c"
  strip "$bin.tmp"
  mv "$bin.tmp" "$bin"
  # Older builds go; the stable name points at this one.
  find "$out" -maxdepth 1 -name 'labdeck-agent-*' ! -name "labdeck-agent-$hash" -delete
fi
ln -sfn "labdeck-agent-$hash" "$out/labdeck-agent"
echo "$bin"
