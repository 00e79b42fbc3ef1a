# /etc/profile.d/labdeck.sh in the sandbox image: read by the attendee's login shell (bash -l).
if [ -n "$BASH_VERSION" ]; then
  [ -f /usr/share/bash-completion/bash_completion ] && . /usr/share/bash-completion/bash_completion
  command -v kubectl >/dev/null 2>&1 && source <(kubectl completion bash) && complete -o default -F __start_kubectl k
  alias k=kubectl
fi
