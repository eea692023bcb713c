#!/usr/bin/env bash
# Puts the active Kimi OAuth token in data/oauth-token/ (the one credentials directory mounted into
# agent containers) and lets the container's user refresh it there; with rootless Docker it also lets
# that user write the group, IPC and session directories. Safe to run again and again.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/setup-oauth-isolation.sh [options]

Sets up (or migrates to) the isolated OAuth token directory:
  data/oauth-token/                mode 700, mounted read-write into every agent container
  data/oauth-token/kimi-code.json  mode 600, the one active token (copied, never moved)
  data/oauth-token/kimi-code.lock  the lock the Kimi CLI takes while it refreshes the token
With rootless Docker it grants the container's user, through ACLs, what a token refresh needs:
rwx on the directory, a default ACL rw (for the CLI's temp file), rw on the token and the lock.
It also grants that user rwx on the directories the agent writes, groups/, data/ipc/ and
data/sessions/ (created if missing), on everything already in them and, through default ACLs, on
what the daemon creates there later.

Options:
  --token PATH         token to install (default: data/credentials/kimi-code.json, the backup,
                       which stays where it is). After `kimi login` on the host:
                       --token ~/.kimi-code/credentials/kimi-code.json
                       (~/.kimi/credentials/kimi-code.json for a login of the old Python CLI)
                       Once the daemon keeps the login (data/credentials/.token-custody exists),
                       the token is installed as data/credentials/kimi-code.json instead.
  --force              replace the live token (data/oauth-token/kimi-code.json, or the daemon's
                       login once it keeps it) with the one --token names; --force needs --token:
                       the backup may be older than the live token, whose refresh token has rotated
  --rootless           Docker is rootless: grant the container user through ACLs
  --rootful            Docker is rootful: no ACL is needed
                       (default: ask `docker info`)
  --container-uid N    uid the agent runs as inside the container (default: CONTAINER_USER's uid,
                       else 1000, the image's `node`)
  --docker-user NAME   user that runs rootless Docker, looked up in /etc/subuid
                       (default: $SUDO_USER, else you)
  --host-uid N         grant this host uid directly, skipping detection and /etc/subuid (repeatable)
  --no-workspace       leave groups/, data/ipc/ and data/sessions/ alone (the token only)
  --dry-run            print every action, change nothing
  --root DIR           project root (default: the directory above this script)
  -h, --help           this text

The daemon's DATA_DIR, GROUPS_DIR and CONTAINER_USER are read as the daemon reads them: from the
environment, else from the project's .env, else their defaults (data, groups, 1000:1000).
Environment: NANOKIMI_SUBUID_FILE replaces /etc/subuid (for tests).
EOF
}

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOKEN_SRC="" FORCE=0 DRY=0 MODE="" CONTAINER_UID="" WORKSPACE=1
DOCKER_USER="${SUDO_USER:-$(id -un)}"
SUBUID_FILE="${NANOKIMI_SUBUID_FILE:-/etc/subuid}"
GRANT_UIDS=()
PROBLEMS=0

say() { printf '%s\n' "$*"; }
die() {
  printf 'error: %s\n' "$1" >&2
  shift
  local line
  for line in "$@"; do printf '  %s\n' "$line" >&2; done
  exit 1
}
need_value() { [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value" "see --help"; }
is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --token) need_value "$@"; TOKEN_SRC=$2; shift ;;
    --force) FORCE=1 ;;
    --dry-run) DRY=1 ;;
    --no-workspace) WORKSPACE=0 ;;
    --rootless) MODE=rootless ;;
    --rootful) MODE=rootful ;;
    --container-uid) need_value "$@"; CONTAINER_UID=$2; shift ;;
    --docker-user) need_value "$@"; DOCKER_USER=$2; shift ;;
    --host-uid) need_value "$@"; is_uint "$2" || die "--host-uid takes a number, got '$2'"; GRANT_UIDS+=("$2"); shift ;;
    --root) need_value "$@"; ROOT=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option '$1'" "see --help" ;;
  esac
  shift
done
[[ -d $ROOT ]] || die "project root $ROOT is not a directory"
ROOT="$(cd "$ROOT" && pwd)"
((FORCE == 0)) || [[ -n $TOKEN_SRC ]] || die "--force replaces the live token: name the new one with --token PATH" \
  "the backup in data/credentials/ may be older than the live token, whose refresh token the CLI rotated;" \
  "installing it could leave every agent logged out. After \`kimi login\` on the host:" \
  "scripts/setup-oauth-isolation.sh --token ~/.kimi-code/credentials/kimi-code.json --force"

# A setting as the daemon sees it: the environment first, then the project's .env (dotenv's rules,
# simply: the last KEY=value line, quotes or a trailing comment removed), else the default $2.
setting() {
  local key=$1 line="" value=""
  if [[ -n ${!key-} ]]; then printf '%s' "${!key}"; return; fi
  [[ -f $ROOT/.env ]] && line=$(grep -E "^[[:space:]]*(export[[:space:]]+)?$key[[:space:]]*=" "$ROOT/.env" | tail -n 1) || true
  if [[ -n $line ]]; then
    value=${line#*=}
    value="${value#"${value%%[![:space:]]*}"}"
    if [[ $value =~ ^\"([^\"]*)\" || $value =~ ^\'([^\']*)\' ]]; then value=${BASH_REMATCH[1]}
    else value=${value%%#*}; value="${value%"${value##*[![:space:]]}"}"; fi
  fi
  printf '%s' "${value:-$2}"
}
# Relative paths are relative to the project root, as in src/config.ts.
project_path() { local p=${1%/}; if [[ $p == /* ]]; then printf '%s' "$p"; else printf '%s' "$ROOT/$p"; fi; }
DATA=$(project_path "$(setting DATA_DIR data)")
GROUPS_ROOT=$(project_path "$(setting GROUPS_DIR groups)")
if [[ -z $CONTAINER_UID ]]; then
  container_user=$(setting CONTAINER_USER 1000:1000)
  if [[ $container_user =~ ^([0-9]+):[0-9]+$ ]]; then CONTAINER_UID=${BASH_REMATCH[1]}
  else die "CONTAINER_USER='$container_user' is not uid:gid (e.g. 1000:1000)" "fix it in $ROOT/.env or the environment"; fi
fi
is_uint "$CONTAINER_UID" || die "--container-uid takes a number, got '$CONTAINER_UID'"

TOKDIR="$DATA/oauth-token"
TOKEN="$TOKDIR/kimi-code.json"
LOCK="$TOKDIR/kimi-code.lock"
BACKUP="$DATA/credentials/kimi-code.json"
# Once the daemon keeps the login (src/kimi/token-custody.ts), the token with its refresh token
# lives in data/credentials/kimi-code.json and the daemon alone writes data/oauth-token/ (an access
# token only). A new login then goes where the daemon reads it, not into the shared directory.
CUSTODY=0
if [[ -f $DATA/credentials/.token-custody ]]; then CUSTODY=1; TOKEN=$BACKUP; fi
# Bind-mounted read-write into agent containers besides the token directory (src/agent/mounts.ts).
WORKSPACE_ROOTS=("$GROUPS_ROOT" "$DATA/ipc" "$DATA/sessions")
CONFIG="$DATA/credentials/config.toml"
rel() { printf '%s' "${1#"$ROOT"/}"; }
relogin_hint=("get a token with \`kimi login\` on the host, then run:"
  "scripts/setup-oauth-isolation.sh --token ~/.kimi-code/credentials/kimi-code.json --force")

# ---- helpers that only look -------------------------------------------------------------------

# Prints "ok <minutes left>" for a usable token file, else "bad <reason>". Never prints token values.
token_check() {
  if command -v node >/dev/null 2>&1; then
    node -e '
      let t; try { t = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); }
      catch (e) { console.log(e.code ? "bad cannot read it (" + e.code + ")" : "bad not valid JSON"); process.exit(0); }
      const str = (k) => t && typeof t[k] === "string" && t[k] !== "";
      const miss = [];
      if (!str("access_token")) miss.push("access_token");
      if (!str("refresh_token")) miss.push("refresh_token");
      if (!(t && typeof t.expires_at === "number" && isFinite(t.expires_at))) miss.push("expires_at");
      if (miss.length) console.log("bad missing or invalid: " + miss.join(", "));
      else console.log("ok " + ((t.expires_at * 1000 - Date.now()) / 60000).toFixed(1));' "$1"
  elif command -v python3 >/dev/null 2>&1; then
    python3 - "$1" <<'PY'
import json, sys, time, math
try:
    t = json.load(open(sys.argv[1]))
except OSError as e:
    print(f"bad cannot read it ({e.strerror})"); sys.exit(0)
except ValueError:
    print("bad not valid JSON"); sys.exit(0)
ok = lambda k: isinstance(t, dict) and isinstance(t.get(k), str) and t[k] != ""
miss = [k for k in ("access_token", "refresh_token") if not ok(k)]
e = t.get("expires_at") if isinstance(t, dict) else None
if not (isinstance(e, (int, float)) and not isinstance(e, bool) and math.isfinite(e)):
    miss.append("expires_at")
print("bad missing or invalid: " + ", ".join(miss) if miss else f"ok {(e - time.time()) / 60:.1f}")
PY
  else
    die "checking the token needs node (the project's runtime) or python3 on PATH"
  fi
}

# "rwx" -> 7
perm_digit() { local p=$1 d=0; [[ $p == r* ]] && d=$((d + 4)); [[ $p == ?w* ]] && d=$((d + 2)); [[ $p == ??x ]] && d=$((d + 1)); printf '%s' "$d"; }

# The mode as owner/group/other ACL entries say it (stat shows the ACL mask in the group digits).
base_mode() {
  if command -v getfacl >/dev/null 2>&1; then
    local u g o
    u=$(getfacl -pcn -- "$1" 2>/dev/null | sed -n 's/^user::\(...\).*/\1/p')
    g=$(getfacl -pcn -- "$1" 2>/dev/null | sed -n 's/^group::\(...\).*/\1/p')
    o=$(getfacl -pcn -- "$1" 2>/dev/null | sed -n 's/^other::\(...\).*/\1/p')
    printf '%s%s%s' "$(perm_digit "$u")" "$(perm_digit "$g")" "$(perm_digit "$o")"
  else
    stat -c %a -- "$1"
  fi
}

# Effective permissions of ACL entry $2 ("user:200999" or "default:user:200999") on $1, masked.
acl_effective() {
  local acl entry mask prefix=""
  acl=$(getfacl -pcn -- "$1" 2>/dev/null) || return 0
  [[ $2 == default:* ]] && prefix="default:"
  entry=$(sed -n "s/^$2:\\(...\\).*/\\1/p" <<<"$acl")
  mask=$(sed -n "s/^${prefix}mask::\\(...\\).*/\\1/p" <<<"$acl")
  [[ -n $entry ]] || return 0
  [[ -n $mask ]] || mask=rwx
  local out="" i
  for i in 0 1 2; do
    if [[ ${entry:i:1} != - && ${mask:i:1} != - ]]; then out+=${entry:i:1}; else out+=-; fi
  done
  printf '%s' "$out"
}
has_perms() { [[ -e $1 ]] && [[ $(acl_effective "$1" "$2") == "$3" ]]; }
owner_uid() { stat -c %u -- "$1"; }

# ---- helpers that change things (or, with --dry-run, say what they would do) -------------------

apply() {
  local desc=$1
  shift
  if ((DRY)); then
    say "  would: $desc"
    say "         $(printf '%q ' "$@")"
  else
    "$@"
    say "  done: $desc"
  fi
}
already() { say "  already in place: $1"; }

# Writes the token the way the Kimi CLI does, so a running agent never sees a half-written file:
# flock on kimi-code.lock, temp file in the same directory, fsync, chmod 600, rename.
install_token() {
  local src=$1 tmp
  if command -v flock >/dev/null 2>&1; then
    # A lock written by a container may not be writable by us; reading is enough for flock.
    exec 9>>"$LOCK" 2>/dev/null || exec 9<"$LOCK" || die "cannot open $(rel "$LOCK") to take the lock"
    flock -w 30 9 || die "$(rel "$LOCK") is held by another process for 30 s (a token refresh?)" "try again"
  else
    say "  warning: flock (util-linux) not found; replacing the token without the CLI's lock"
  fi
  tmp=$(mktemp "$TOKDIR/.kimi-code.json.XXXXXX.tmp")
  cat -- "$src" >"$tmp"
  sync -- "$tmp" 2>/dev/null || sync
  chmod 600 "$tmp"
  mv -f -- "$tmp" "$TOKEN"
  exec 9>&- 2>/dev/null || true
}

# The host's own copy of the login (never mounted): temp file beside it, mode 600, rename.
install_login() {
  local tmp
  tmp=$(mktemp "$TOKEN.XXXXXX.tmp")
  cat -- "$1" >"$tmp"
  chmod 600 "$tmp"
  mv -f -- "$tmp" "$TOKEN"
}

create_lock() { (umask 077 && : >>"$1"); }

# find(1) tests for the entries under a workspace root this run may grant to uid $1: not those the
# container user owns (it needs no grant) and, unless we are root, only ours (setfacl needs that).
owned_by_us() {
  if [[ $(id -u) == 0 ]]; then OWN=('!' -user "$1"); else OWN=(-user "$(id -u)"); fi
}

# Prints "<lacking> <checked>": how many of those entries in $1 (itself included, symlinks never)
# lack the grant for uid $2, with $3 the daemon's uid. A directory needs u:$2:rwx unmasked and the
# default entries u:$2:rwx, u:$3:rwx and mask rwx; a file needs a u:$2 entry with rw (its mask is
# the mode the daemon created it with, so r-- on a 0644 file is as intended).
workspace_lacking() {
  local root=$1 uid=$2 daemon=$3 kind
  owned_by_us "$uid"
  for kind in d f; do
    find -H "$root" -type "$kind" "${OWN[@]}" -exec getfacl -pn -- {} + 2>/dev/null |
      awk -v u="$uid" -v o="$daemon" -v kind="$kind" 'BEGIN { RS = "" }
        { n++; s = "\n" $0 "\n"
          if (kind == "d") ok = index(s, "\nuser:" u ":rwx\n") && index(s, "\ndefault:user:" u ":rwx\n") &&
            index(s, "\ndefault:user:" o ":rwx\n") && index(s, "\ndefault:mask::rwx\n")
          else ok = index(s, "\nuser:" u ":rw")
          if (!ok) bad++ }
        END { print bad + 0, n + 0 }' || true
  done | awk '{ bad += $1; n += $2 } END { print bad + 0, n + 0 }'
}

# ---- 1. who must the container user be on the host? --------------------------------------------

say "NanoKimi OAuth token isolation in $ROOT$( ((DRY)) && printf ' (dry run: nothing is changed)')"
say ""
say "Container user"
if [[ ${#GRANT_UIDS[@]} -gt 0 ]]; then
  say "  granting host uid(s) ${GRANT_UIDS[*]} (--host-uid)"
else
  if [[ -z $MODE ]]; then
    command -v docker >/dev/null 2>&1 ||
      die "docker is not on PATH, so rootless or rootful Docker cannot be detected" \
        "pass --rootless or --rootful (rootless: \`docker info\` lists name=rootless under Security Options)"
    opts=$(docker info --format '{{.SecurityOptions}}' 2>/dev/null) ||
      die "\`docker info\` failed (is the Docker daemon running for $(id -un)?)" "pass --rootless or --rootful"
    if [[ $opts == *rootless* ]]; then MODE=rootless; else MODE=rootful; fi
    say "  detected $MODE Docker (docker info)"
  fi
  if [[ $MODE == rootful ]]; then
    say "  rootful Docker: container uid $CONTAINER_UID is host uid $CONTAINER_UID, so no ACL is needed"
    if [[ $CONTAINER_UID != "$(id -u)" ]]; then
      say "  note: you are uid $(id -u); if uid $CONTAINER_UID cannot write data/oauth-token/, make it the"
      say "        owner or re-run with --host-uid $CONTAINER_UID to grant it through ACLs"
    fi
  else
    # Rootless Docker maps container uid 0 to the user running Docker and container uid n >= 1 to
    # (that user's first subordinate uid) + n - 1. So uid 1000 with start 200000 is host uid 200999.
    ((CONTAINER_UID >= 1)) ||
      die "container uid 0 is yourself under rootless Docker: nothing to grant" "use --rootful, or --container-uid N"
    [[ -r $SUBUID_FILE ]] || die "cannot read $SUBUID_FILE (the subordinate uid ranges of rootless Docker)" \
      "give the container user's host uid with --host-uid N instead"
    docker_uid=$(id -u "$DOCKER_USER" 2>/dev/null || true)
    range=$(awk -F: -v u="$DOCKER_USER" -v n="$docker_uid" \
      '($1 == u || (n != "" && $1 == n)) && $2 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/ { print $2, $3; exit }' "$SUBUID_FILE")
    [[ -n $range ]] || die "user '$DOCKER_USER' has no range in $SUBUID_FILE" \
      "rootless Docker needs one (dockerd-rootless-setuptool.sh checks it); if Docker runs as another" \
      "user pass --docker-user NAME, or give the container user's host uid with --host-uid N"
    read -r start count <<<"$range"
    ((CONTAINER_UID <= count)) ||
      die "container uid $CONTAINER_UID is outside the $count uids $SUBUID_FILE gives '$DOCKER_USER'"
    GRANT_UIDS=("$((start + CONTAINER_UID - 1))")
    say "  rootless Docker: container uid $CONTAINER_UID = host uid ${GRANT_UIDS[0]}" \
      "($SUBUID_FILE: $DOCKER_USER starts at $start; uid 0 is $DOCKER_USER, uid 1 is $start)"
  fi
fi
if [[ ${#GRANT_UIDS[@]} -gt 0 ]]; then
  command -v setfacl >/dev/null 2>&1 && command -v getfacl >/dev/null 2>&1 ||
    die "setfacl/getfacl not found: install the acl package: sudo apt-get install acl"
fi

# ---- 2. which token, and is it one? --------------------------------------------------------------

src=""
if [[ -n $TOKEN_SRC ]]; then
  [[ -f $TOKEN_SRC ]] || die "token file $TOKEN_SRC not found" "${relogin_hint[@]}"
  src=$TOKEN_SRC
elif [[ -f $BACKUP ]]; then
  src=$BACKUP
fi
if [[ ! -e $TOKEN || $FORCE == 1 ]]; then
  [[ -n $src ]] || die "no token: neither $(rel "$TOKEN") nor $(rel "$BACKUP") exists" "${relogin_hint[@]}"
  verdict=$(token_check "$src") || die "could not check $src: the node (or python3) check itself failed"
  [[ $verdict == ok* ]] || die "$src is not a Kimi token file: ${verdict#bad }" \
    "it must be JSON with access_token, refresh_token and expires_at" "${relogin_hint[@]}"
fi
if [[ -d $TOKDIR && $(owner_uid "$TOKDIR") != "$(id -u)" && $(id -u) != 0 ]]; then
  die "$(rel "$TOKDIR") belongs to uid $(owner_uid "$TOKDIR"), not to you ($(id -un))" \
    "run this script as its owner (the user that runs NanoKimi)"
fi

# ---- 3. the directory, the lock, the token --------------------------------------------------------

say ""
say "Token directory"
if [[ -d $TOKDIR ]]; then already "$(rel "$TOKDIR") exists"
else apply "create $(rel "$TOKDIR") (mode 700)" mkdir -p -m 700 -- "$TOKDIR"; fi
if [[ -d $TOKDIR && $(base_mode "$TOKDIR") == 700 ]]; then already "$(rel "$TOKDIR") mode 700"
elif [[ -d $TOKDIR ]]; then apply "chmod 700 $(rel "$TOKDIR")" chmod 700 -- "$TOKDIR"; fi
for uid in "${GRANT_UIDS[@]}"; do
  # rwx: create the temp file and rename it over the token. Default rw: files created there
  # (the temp file, the lock) are usable by that uid whoever creates them.
  if has_perms "$TOKDIR" "user:$uid" rwx && has_perms "$TOKDIR" "default:user:$uid" rw-; then
    already "ACL u:$uid:rwx and default u:$uid:rw on $(rel "$TOKDIR")"
  else
    apply "ACL u:$uid:rwx and default u:$uid:rw on $(rel "$TOKDIR")" setfacl -m "u:$uid:rwx,d:u:$uid:rw" -- "$TOKDIR"
  fi
done

# The host creates the lock now, so that host tools and every container can open it later.
if ((CUSTODY)); then say "  the daemon keeps the login in $(rel "$BACKUP") and writes an access token only into $(rel "$TOKDIR")"
elif [[ -e $LOCK ]]; then already "$(rel "$LOCK") exists"
else apply "create $(rel "$LOCK") (mode 600)" create_lock "$LOCK"; fi

if [[ -e $TOKEN && $FORCE == 0 ]]; then
  already "$(rel "$TOKEN") exists (--token PATH --force replaces it)"
  if [[ -n $TOKEN_SRC ]] && ! cmp -s -- "$TOKEN_SRC" "$TOKEN" 2>/dev/null; then
    say "  note: it differs from $TOKEN_SRC (or cannot be read); add --force to install that one"
  fi
elif [[ -e $TOKEN ]] && cmp -s -- "$src" "$TOKEN" 2>/dev/null; then
  already "$(rel "$TOKEN") is the same as $src"
elif ((CUSTODY)); then
  apply "install the login from $src as $(rel "$TOKEN") (temp file, rename; the daemon refreshes it from now on)" install_login "$src"
else
  apply "install the token from $src as $(rel "$TOKEN") (flock, temp file, rename)" install_token "$src"
fi
if [[ -f $BACKUP && $src == "$BACKUP" && $CUSTODY == 0 ]]; then say "  $(rel "$BACKUP") stays as a backup (not mounted)"; fi

for f in "$LOCK" "$TOKEN"; do
  # The host's login is for the daemon alone: no grant for the container user.
  ((CUSTODY)) && continue
  [[ -e $f ]] || continue
  if [[ $(owner_uid "$f") != "$(id -u)" && $(id -u) != 0 ]]; then
    already "$(rel "$f") belongs to uid $(owner_uid "$f") (written by the agent container)"
    continue
  fi
  if [[ $(base_mode "$f") == 600 ]]; then already "$(rel "$f") mode 600"
  else apply "chmod 600 $(rel "$f")" chmod 600 -- "$f"; fi
  for uid in "${GRANT_UIDS[@]}"; do
    if [[ $(owner_uid "$f") == "$uid" ]] || has_perms "$f" "user:$uid" rw-; then already "ACL u:$uid:rw on $(rel "$f")"
    else apply "ACL u:$uid:rw on $(rel "$f")" setfacl -m "u:$uid:rw" -- "$f"; fi
  done
done

# ---- 4. the other directories the agent writes ---------------------------------------------------

# groups/<group>/ (/workspace/group; groups/global/ too, read-only for all but main by its mount),
# data/ipc/<group>/ (messages/, tasks/, input/, errors/) and data/sessions/<group>/.kimi/ (the CLI's
# sessions). The daemon creates the per-group directories later, so the grant goes into default ACLs
# and is inherited. With a default ACL the umask is ignored and the new entry's mask is the group bits
# of the mode passed to mkdir/open: the daemon's 0770 directories give the container user rwx, its
# 0644 files r. The default entry for the daemon's own uid (the root's owner) keeps what the agent
# creates readable and removable by the daemon, which a default other::--- would otherwise hide.
say ""
say "Workspace directories"
if ((!WORKSPACE)); then
  say "  skipped (--no-workspace): groups/, data/ipc/ and data/sessions/ are left as they are"
elif [[ ${#GRANT_UIDS[@]} -eq 0 ]]; then
  say "  rootful Docker: uid $CONTAINER_UID writes groups/, data/ipc/ and data/sessions/ as their owner; no ACL is set"
else
  for root in "${WORKSPACE_ROOTS[@]}"; do
    r=$(rel "$root")
    if [[ -d $root ]]; then already "$r exists"
    elif [[ $root == "$GROUPS_ROOT" ]]; then apply "create $r" mkdir -p -- "$root"
    else apply "create $r (mode 700)" mkdir -p -m 700 -- "$root"; fi
    if [[ -d $root && $(owner_uid "$root") != "$(id -u)" && $(id -u) != 0 ]]; then
      say "  PROBLEM: $r belongs to uid $(owner_uid "$root"), not to you ($(id -un)): run this script as its owner"
      PROBLEMS=$((PROBLEMS + 1))
      continue
    fi
    daemon=$(if [[ -d $root ]]; then owner_uid "$root"; else id -u; fi)
    for uid in "${GRANT_UIDS[@]}"; do
      lacking=1 checked=0 count=""
      if [[ -d $root ]]; then
        read -r lacking checked < <(workspace_lacking "$root" "$uid" "$daemon")
        count=" ($lacking of $checked item(s) lack it)"
      fi
      if ((lacking == 0)); then
        already "ACL u:$uid:rwx, default u:$uid:rwx and u:$daemon:rwx on $r and everything in it ($checked item(s))"
      else
        owned_by_us "$uid"
        # -P: setfacl skips a symlink rather than granting its target (find already passes none).
        apply "ACL u:$uid:rwx (rw on files) on $r and everything in it$count" \
          find -H "$root" \( -type d -o -type f \) "${OWN[@]}" -exec setfacl -P -m "u:$uid:rwX" -- {} +
        apply "default ACL u:$uid:rwx, u:$daemon:rwx, mask rwx on $r and its directories (inherited)" \
          find -H "$root" -type d "${OWN[@]}" -exec setfacl -P -d -m "u:$uid:rwx,u:$daemon:rwx,m::rwx" -- {} +
      fi
      if [[ -d $root && $(id -u) != 0 ]]; then
        others=$(find -H "$root" \( -type d -o -type f \) ! -user "$(id -u)" ! -user "$uid" -printf . 2>/dev/null | wc -c)
        ((others == 0)) || say "  note: $others item(s) in $r belong to another user and keep their ACLs (run with sudo to grant them too)"
      fi
    done
  done
fi

# ---- 5. config.toml ------------------------------------------------------------------------------

say ""
say "Config"
if [[ ! -f $CONFIG ]]; then
  say "  PROBLEM: $(rel "$CONFIG") is missing; it is mounted read-only as the CLI's config.toml."
  say "  Create it with at least:"
  sed 's/^/    /' <<'EOF'
default_model = "kimi-code"

[models.kimi-code]
provider = "managed:kimi-code"
model = "kimi-latest"
max_context_size = 200000

[providers."managed:kimi-code"]
type = "kimi"
base_url = "https://api.kimi.com/coding/v1"
api_key = ""
oauth = { storage = "file", key = "oauth/kimi-code" }
EOF
  PROBLEMS=$((PROBLEMS + 1))
else
  if grep -q 'managed:kimi-code' -- "$CONFIG"; then already "provider managed:kimi-code in $(rel "$CONFIG")"
  else say "  PROBLEM: $(rel "$CONFIG") has no provider named \"managed:kimi-code\" (needed for token refresh)"; PROBLEMS=$((PROBLEMS + 1)); fi
  if grep -Eq 'storage[[:space:]]*=[[:space:]]*"file"' -- "$CONFIG"; then already "oauth storage = \"file\" in $(rel "$CONFIG")"
  else
    say "  PROBLEM: $(rel "$CONFIG") lacks oauth = { storage = \"file\", key = \"oauth/kimi-code\" }"
    grep -q 'keyring' -- "$CONFIG" && say "  (storage = \"keyring\" makes the CLI rewrite config.toml, which fails on the read-only mount)"
    PROBLEMS=$((PROBLEMS + 1))
  fi
  # The CLI reads config.toml as the container user; the mount is read-only, but not a permission.
  for uid in "${GRANT_UIDS[@]}"; do
    if [[ $(stat -c %a -- "$CONFIG") =~ [4-7]$ ]] || [[ $(acl_effective "$CONFIG" "user:$uid") == r* ]]; then
      already "$(rel "$CONFIG") readable by uid $uid"
    else apply "ACL u:$uid:r on $(rel "$CONFIG")" setfacl -m "u:$uid:r" -- "$CONFIG"; fi
  done
fi

# ---- 6. verification -----------------------------------------------------------------------------

say ""
say "Verification$( ((DRY)) && printf ' (of the current state)')"
describe_mode() {
  local base stat
  base=$(base_mode "$1") stat=$(stat -c %a -- "$1")
  printf 'mode %s, owner uid %s' "$base" "$(owner_uid "$1")"
  [[ $base == "$stat" ]] || printf ' (stat shows %s: with an ACL the group digit is the ACL mask)' "$stat"
}
show_acl() { getfacl -pcn -- "$1" 2>/dev/null | grep -v '^$' | sed 's/^/      /' || true; }
if [[ -d $TOKDIR ]]; then
  say "  $(rel "$TOKDIR"): $(describe_mode "$TOKDIR")"
  if command -v getfacl >/dev/null 2>&1; then show_acl "$TOKDIR"; fi
  for uid in "${GRANT_UIDS[@]}"; do
    if has_perms "$TOKDIR" "user:$uid" rwx && has_perms "$TOKDIR" "default:user:$uid" rw-; then
      say "    ok: uid $uid may create, lock and rename files here"
    elif ((!DRY)); then say "    PROBLEM: uid $uid lacks rwx or the default rw ACL"; PROBLEMS=$((PROBLEMS + 1)); fi
  done
else
  say "  $(rel "$TOKDIR"): missing"
fi
for f in "$TOKEN" "$LOCK"; do
  [[ -e $f ]] || { say "  $(rel "$f"): missing"; continue; }
  say "  $(rel "$f"): $(describe_mode "$f")"
  if command -v getfacl >/dev/null 2>&1; then show_acl "$f"; fi
done
if ((WORKSPACE)) && [[ ${#GRANT_UIDS[@]} -gt 0 ]]; then
  for root in "${WORKSPACE_ROOTS[@]}"; do
    [[ -d $root ]] || { say "  $(rel "$root"): missing"; continue; }
    say "  $(rel "$root"): $(describe_mode "$root")"
    show_acl "$root"
    if [[ $(owner_uid "$root") != "$(id -u)" && $(id -u) != 0 ]]; then say "    not checked: it is not yours"; continue; fi
    for uid in "${GRANT_UIDS[@]}"; do
      read -r lacking checked < <(workspace_lacking "$root" "$uid" "$(owner_uid "$root")")
      if ((lacking == 0)); then
        say "    ok: uid $uid may write here ($checked item(s) checked); new entries inherit the grant"
      elif ((!DRY)); then
        say "    PROBLEM: $lacking of $checked entries lack the grant for uid $uid"
        PROBLEMS=$((PROBLEMS + 1))
      fi
    done
  done
fi
if [[ -e $TOKEN ]]; then
  verdict=$(token_check "$TOKEN") || verdict="bad the node (or python3) check itself failed"
  case $verdict in
    ok\ -*) say "  token: valid; the access token expired ${verdict#ok -} min ago (the agent refreshes it at start-up)" ;;
    ok*) say "  token: valid; expires in ${verdict#ok } min" ;;
    *"cannot read"*) say "  token: not readable by you: ${verdict#bad } (after a refresh it belongs to the container user)" ;;
    *) say "  PROBLEM: token: ${verdict#bad }"; PROBLEMS=$((PROBLEMS + 1)) ;;
  esac
fi
if ((CUSTODY)); then
  say "  the daemon refreshes this login itself; containers see only the access token it copies to $(rel "$TOKDIR")"
elif [[ -f $BACKUP ]]; then
  say "  backup $(rel "$BACKUP"): present, untouched, not mounted; the daemon takes the live token into its custody at its next start"
fi
say ""
if ((DRY)); then
  say "Dry run: nothing was changed."
elif ((PROBLEMS > 0)); then
  say "$PROBLEMS problem(s) above need fixing."
  exit 1
else
  say "All set. Restart NanoKimi so new containers use it: systemctl --user restart nanokimi"
fi
