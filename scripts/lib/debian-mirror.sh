# Sourced by sandbox/build-rootfs.sh and kube/lib.sh (never run): the Debian mirror both offline image
# builds fetch from.

# The mirror the host's apt already uses (the only one reachable on an offline workshop host), or
# LABDECK_DEBIAN_MIRROR.
debian_mirror() {
  if [[ -n ${LABDECK_DEBIAN_MIRROR:-} ]]; then echo "${LABDECK_DEBIAN_MIRROR%/}"; return; fi
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }' "$f")
    if [[ -n $uri ]]; then echo "${uri%/}"; return; fi
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:.*\/debian\/?$/) { print $i; exit } }' "$f")
    if [[ -n $uri ]]; then echo "${uri%/}"; return; fi
  done
  echo http://deb.debian.org/debian
}
