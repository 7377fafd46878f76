# Sourced by the scripts of this folder; not a command of its own.

# The variables the scripts read, kept when a script re-runs itself through sudo.
BERTH_ENV_VARS=CI,BERTH_STATE,BERTH_PRIVATE_ENGINES,BERTH_STOP_ENGINES,BERTH_KEEP_STATE,BERTH_ENGINE_WAIT,BERTH_ENGINE_MAX_WAIT,BERTH_BUILD_DIR

# as_root SCRIPT ARGS...: returns when this shell is root; otherwise runs the script again
# through sudo (which asks for a password when sudo's policy wants one) and exits with its
# status, or stops with one line when sudo is not installed.
as_root() {
  ((EUID == 0)) && return 0
  local script=$1
  shift
  if ! command -v sudo >/dev/null 2>&1; then
    printf '%s: needs root (it installs packages and starts dockerd and containerd),' "${script##*/}" >&2
    printf ' and sudo is not installed: run it as root\n' >&2
    exit 1
  fi
  printf '%s: not root; running it again through sudo\n' "${script##*/}" >&2
  exec sudo --preserve-env="$BERTH_ENV_VARS" -- bash "$script" "$@"
}
