#!/usr/bin/env bash
# Installs NanoKimi as a systemd user service for this checkout: renders systemd/nanokimi.service
# (and nanokimi-failed.service, which it starts when it gives up restarting) with this checkout's
# paths, installs them under ~/.config/systemd/user/, fills the daemon's compile cache, reloads,
# enables, starts.
#   --print          only print the rendered nanokimi.service
#   --print-failed   only print the rendered nanokimi-failed.service
#   --no-start  install and enable, but do not start
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
print_only=""; start=true
for arg in "$@"; do
  case "$arg" in
    --print) print_only=unit ;;
    --print-failed) print_only=failed ;;
    --no-start) start=false ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "install-service: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done

source "$root/scripts/node-env.sh" 2>/dev/null
node_bin="$(command -v node)"
render() { sed -e "s|@ROOT@|$root|g" -e "s|@NODE@|$node_bin|g" -e "s|@CACHE@|$NANOKIMI_COMPILE_CACHE|g" "$root/systemd/$1"; }
unit="$(render nanokimi.service)"
failed_unit="$(render nanokimi-failed.service)"
case $print_only in unit) printf '%s\n' "$unit"; exit 0 ;; failed) printf '%s\n' "$failed_unit"; exit 0 ;; esac

if [ ! -f "$root/.env" ]; then
  cp "$root/.env.example" "$root/.env"
  echo "install-service: created .env from .env.example; the service reads it (EnvironmentFile)."
fi
command -v systemctl >/dev/null || { echo "install-service: systemctl is missing; this needs a systemd system" >&2; exit 1; }
dest="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user/nanokimi.service"
mkdir -p "$(dirname "$dest")"
printf '%s\n' "$unit" > "$dest"
printf '%s\n' "$failed_unit" > "$(dirname "$dest")/nanokimi-failed.service"
echo "install-service: wrote $dest and nanokimi-failed.service beside it"
# Filled afresh: what an earlier version compiled is not kept beside it.
rm -rf "${NANOKIMI_COMPILE_CACHE:?}"
NODE_COMPILE_CACHE="$NANOKIMI_COMPILE_CACHE" "$root/scripts/warm-compile-cache.sh"
systemctl --user daemon-reload || { echo "install-service: no systemd user manager answers (log in on a real session, or see docs/OPERATIONS.md)" >&2; exit 1; }
systemctl --user enable nanokimi.service
if $start; then systemctl --user restart nanokimi.service; echo "install-service: started. Logs: journalctl --user -u nanokimi -f  or  tail -f $root/logs/nanokimi.log"; fi
if ! loginctl show-user "$USER" 2>/dev/null | grep -q 'Linger=yes'; then
  echo "install-service: to keep it running after you log out, run once: sudo loginctl enable-linger $USER"
fi
