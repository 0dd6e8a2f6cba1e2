#!/bin/sh
# KafkaO11y - checks the downloaded exporter jar before it goes into the image (POSIX sh).
#
#   verify-jar.sh <jar> <upstream .sha256 file> <pinned sha256>
#
# Two independent sources must agree with the jar's own digest: the release's .sha256 asset
# (upstream's release.sh writes "<hash>  <file name>") and the value this repository pins. The pin
# came from a public third-party Dockerfile; upstream's asset could not be read where this
# repository is built, so the first build anywhere is where both are compared. On a mismatch the
# build stops and says which source disagrees.
set -eu

[ "$#" -eq 3 ] || { echo "usage: verify-jar.sh <jar> <sha256 file> <pinned sha256>" >&2; exit 64; }
jar=$1
upstream_file=$2
pinned=$3

actual=$(sha256sum "$jar" | cut -d' ' -f1)
upstream=$(head -n 1 "$upstream_file" | tr -d '\r' | cut -d' ' -f1)
printf 'jmx-exporter jar sha256: %s\n' "$actual"

printf '%s' "$upstream" | grep -Eq '^[0-9a-f]{64}$' \
    || { echo "jmx-exporter: the release's checksum file holds no sha256 (got '$upstream')" >&2; exit 1; }
if [ "$actual" != "$upstream" ]; then
    echo "jmx-exporter: the downloaded jar ($actual) does not match the release's own checksum ($upstream): a corrupt or replaced download" >&2
    exit 1
fi
if [ "$actual" != "$pinned" ]; then
    echo "jmx-exporter: the jar matches the release's checksum ($upstream) but not the pinned JMX_EXPORTER_SHA256 ($pinned)." >&2
    echo "jmx-exporter: if that release is the one you mean to run, put $upstream in observability/jmx-exporter/Dockerfile." >&2
    exit 1
fi
echo "jmx-exporter: jar verified against the release's checksum and the pinned value"
