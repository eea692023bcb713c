#!/usr/bin/env bash
# Installs NanoKimi as a systemd user service for this checkout: renders systemd/nanokimi.service
# with this checkout's paths, installs it under ~/.config/systemd/user/, reloads, enables, starts.
#   --print     only print the rendered unit
#   --no-start  install and enable, but do not start
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
print_only=false; start=true
for arg in "$@"; do
  case "$arg" in
    --print) print_only=true ;;
    --no-start) start=false ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "install-service: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done

source "$root/scripts/node-env.sh" 2>/dev/null
node_bin="$(command -v node)"
unit="$(sed -e "s|@ROOT@|$root|g" -e "s|@NODE@|$node_bin|g" "$root/systemd/nanokimi.service")"
if $print_only; then printf '%s\n' "$unit"; exit 0; fi

if [ ! -f "$root/.env" ]; then
  cp "$root/.env.example" "$root/.env"
  echo "install-service: created .env from .env.example; the service reads it (EnvironmentFile)."
fi
command -v systemctl >/dev/null || { echo "install-service: systemctl is missing; this needs a systemd system" >&2; exit 1; }
dest="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user/nanokimi.service"
mkdir -p "$(dirname "$dest")"
printf '%s\n' "$unit" > "$dest"
echo "install-service: wrote $dest"
systemctl --user daemon-reload || { echo "install-service: no systemd user manager answers (log in on a real session, or see docs/OPERATIONS.md)" >&2; exit 1; }
systemctl --user enable nanokimi.service
if $start; then systemctl --user restart nanokimi.service; echo "install-service: started. Logs: journalctl --user -u nanokimi -f  or  tail -f $root/logs/nanokimi.log"; fi
if ! loginctl show-user "$USER" 2>/dev/null | grep -q 'Linger=yes'; then
  echo "install-service: to keep it running after you log out, run once: sudo loginctl enable-linger $USER"
fi
