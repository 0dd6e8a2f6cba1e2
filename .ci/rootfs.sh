# shellcheck shell=bash
# Helpers (sourced by .ci/start-docker and .ci/build-test-images) that make a container image from
# this machine's own files: no registry is reached here, so every local image is a folder laid out
# from Debian's packages and `docker import`ed. Bash; the caller sets `set -euo pipefail`.

# rootfs_init DIR: an empty merged-/usr layout, as Debian 12 has it (/lib -> usr/lib, ...).
rootfs_init() {
  local dir=$1
  umask 022
  rm -rf "$dir"
  mkdir -p "$dir"/{usr/bin,usr/sbin,usr/lib/x86_64-linux-gnu,usr/lib64,etc,tmp,root}
  ln -s usr/bin "$dir/bin"; ln -s usr/sbin "$dir/sbin"
  ln -s usr/lib "$dir/lib"; ln -s usr/lib64 "$dir/lib64"
  chmod 1777 "$dir/tmp"; chmod 700 "$dir/root"
}

# rootfs_add DIR PATH...: copies each path to the same place in DIR, and every link of its symlink
# chain too (libssl.so.3 -> libssl.so.3.0.x ...). Folders are taken at their real place, so that a
# path through /lib lands under usr/lib like the layout above.
rootfs_add() {
  local dir=$1 p d f t; shift
  for p in "$@"; do
    while :; do
      d=$(realpath "$(dirname "$p")"); f="$d/$(basename "$p")"
      [ -e "$f" ] || [ -L "$f" ] || { echo "rootfs: no such file: $p" >&2; return 1; }
      mkdir -p "$dir$d"
      cp -a "$f" "$dir$d/"
      [ -L "$f" ] || break
      t=$(readlink "$f"); case $t in /*) p=$t ;; *) p="$d/$t" ;; esac
    done
  done
}

# rootfs_add_libs_of DIR FILE...: every shared library ldd finds for each program or library (the
# dynamic loader included), not the file itself; fails when one is missing here.
rootfs_add_libs_of() {
  local dir=$1 f; shift
  for f in "$@"; do
    if ldd "$f" 2>&1 | grep -q 'not found'; then
      echo "rootfs: $f misses libraries here:" >&2; ldd "$f" >&2; return 1
    fi
    # "libx.so => /path (addr)" lines, and the loader's own "/lib64/ld-linux-x86-64.so.2 (addr)".
    # shellcheck disable=SC2046
    rootfs_add "$dir" $(ldd "$f" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u)
  done
}

# rootfs_add_elf DIR FILE...: a dynamically linked program or library with its shared libraries.
rootfs_add_elf() {
  local dir=$1; shift
  rootfs_add "$dir" "$@"
  rootfs_add_libs_of "$dir" "$@"
}

# rootfs_etc DIR: users root, nobody (65534) and the ids images commonly run as (10001, 472 as
# Grafana's), name resolution through files then DNS, CA certificates, and a loader cache.
rootfs_etc() {
  local dir=$1
  cat > "$dir/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
grafana:x:472:0:grafana:/tmp:/usr/sbin/nologin
app:x:10001:10001:app:/tmp:/usr/sbin/nologin
EOF
  cat > "$dir/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
nogroup:x:65534:
app:x:10001:
EOF
  echo 'hosts: files dns' > "$dir/etc/nsswitch.conf"
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    mkdir -p "$dir/etc/ssl/certs"
    cp /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/"
  fi
  # The loader also searches /lib/x86_64-linux-gnu by default; the cache makes that explicit.
  ldconfig -r "$dir" 2>/dev/null || true
}

# rootfs_import DIR TAG [docker import --change ...]: imports DIR as image TAG unless TAG already
# holds exactly this content (label kafkao11y.rootfs.sha256: the sha256 of a reproducible tar of
# DIR, with the --change lines). Prints the image id.
rootfs_import() {
  local dir=$1 tag=$2 tar sum have old; shift 2
  tar=$(mktemp --suffix=.tar)
  # Reproducible: sorted names, one mtime, numeric owners (ownership set in DIR is kept).
  tar --sort=name --mtime=@0 --numeric-owner --format=gnu -C "$dir" -cf "$tar" .
  sum=$({ sha256sum < "$tar"; printf '%s\n' "$@"; } | sha256sum | cut -c1-64)
  have=$(docker image inspect --format '{{ index .Config.Labels "kafkao11y.rootfs.sha256" }}' "$tag" 2>/dev/null || true)
  if [ "$have" = "$sum" ]; then
    echo "$tag: up to date" >&2
  else
    old=$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
    docker import "$@" --change "LABEL kafkao11y.rootfs.sha256=$sum" "$tar" "$tag" >/dev/null
    echo "$tag: imported ($(du -h "$tar" | cut -f1) tar)" >&2
    # The replaced image, unless something still uses it (a container, a tag, a child image).
    [ -z "$old" ] || docker image rm "$old" >/dev/null 2>&1 || true
  fi
  rm -f "$tar"
  docker image inspect --format '{{.Id}}' "$tag"
}

# debian_archive: the machine's own Debian archive (the first non-security Debian URI of its apt
# sources, a mirror or snapshot included), else Debian's own; as in .ci/fetch-prometheus.
debian_archive() {
  local archive
  archive=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | awk '/^URIs:/ { print $2 } /^deb / { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' \
    | grep -v security | grep debian | head -1 || true)
  echo "${archive:-http://deb.debian.org/debian}"
}
