# shellcheck shell=bash
# Sourced by the offline image builds (never run): the Debian mirror they fetch from.

# debian_mirror: LABDECK_DEBIAN_MIRROR, or the Debian mirror this host's apt already uses (the only one
# an offline workshop host reaches), as apt itself reads its sources (`apt-get indextargets`: every
# format and file apt accepts). With neither, it says so and fails: no mirror is guessed (issue 18 §12).
debian_mirror() {
  if [[ -n ${LABDECK_DEBIAN_MIRROR:-} ]]; then echo "${LABDECK_DEBIAN_MIRROR%/}"; return; fi
  local uri
  # shellcheck disable=SC2016  # $(…) here is apt's format, not the shell's
  uri=$(apt-get indextargets --no-release-info --format '$(TARGET_OF) $(RELEASE) $(REPO_URI)' 2>/dev/null \
    | awk '$1 == "deb" && $2 !~ /-security$/ && $3 ~ /\/debian\/?$/ { print $3; exit }')
  if [[ -z $uri ]]; then
    echo "no Debian mirror: this host's apt sources name none (apt-get indextargets) and LABDECK_DEBIAN_MIRROR is not set; set it to the Debian mirror this machine may use (its URL ends in /debian)" >&2
    return 1
  fi
  echo "${uri%/}"
}
