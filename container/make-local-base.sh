#!/usr/bin/env bash
# Makes a minimal local base image for machines that cannot reach an image registry (our CI):
# busybox (a shell and core utilities), flock, and this machine's Node binary, with the libraries they link.
# The agent image builds on it with --build-arg BASE_IMAGE=... NODE_IMAGE=... (see container/build.sh).
# Usage: container/make-local-base.sh [image-name]     (default: nanokimi-base:local)
set -euo pipefail
image="${1:-nanokimi-base:local}"
node_bin="$(command -v node)"
busybox_bin="$(command -v busybox || true)"
[ -n "$busybox_bin" ] || { echo "make-local-base: busybox is needed: apt-get install busybox-static" >&2; exit 1; }
if ldd "$busybox_bin" >/dev/null 2>&1; then
  echo "make-local-base: $busybox_bin is dynamically linked; install busybox-static" >&2; exit 1
fi

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,usr/bin,usr/local/bin,etc,tmp,home,root,workspace} && chmod 1777 "$root/tmp"
cp "$busybox_bin" "$root/bin/busybox"
for applet in $("$busybox_bin" --list); do
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
ln -s /bin/busybox "$root/usr/bin/env"   # for `#!/usr/bin/env node` scripts
cp "$node_bin" "$root/usr/local/bin/node"
# flock(1) as Debian images have it: the token tests take the lock the way kimi-cli does.
flock_bin="$(command -v flock)"
cp "$flock_bin" "$root/usr/bin/flock"
# The libraries those binaries need, at the same paths as on this host.
for lib in $(ldd "$node_bin" "$flock_bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $1 !~ /:$/ {print $1}' | sort -u); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"

tar -C "$root" -c . | docker import --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' --change 'CMD ["/bin/sh"]' - "$image" >/dev/null
echo "make-local-base: built $image with Node $("$node_bin" --version) and busybox"
