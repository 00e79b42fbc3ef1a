# shellcheck shell=bash
# ~/.bashrc of root in labdeck's offline node (read by `podman exec -it kind-control-plane bash`).
# The node lacks two tools a lab about kind runs in it: say why, instead of a bare "command not found"
# (docs/kubernetes-offline.md, "What differs from kind").
command_not_found_handle() {
  case $1 in
    crictl)
      echo "crictl: not in this node: labdeck's offline kind node is built from Debian, which does not package crictl (a kind node pulled from a registry has it). Same view, by containerd's own CLI: ctr -n k8s.io containers list" >&2 ;;
    nerdctl)
      echo "nerdctl: not in this node: Debian does not package it, and kind's node image does not ship it either. Same view: ctr -n k8s.io containers list" >&2 ;;
    *)
      echo "bash: $1: command not found" >&2 ;;
  esac
  return 127
}
