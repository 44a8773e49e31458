#!/bin/sh
# Builds the image and runs it as a user would (`run -d -p PORT:8080 IMAGE`, no arguments), then
# checks that the README's first curl answers, that the server's user is not root, and that the
# image's HEALTHCHECK passes. Prints the build time, the image size and the start-to-ready time.
#
#   container/smoke.sh                      # podman, on a Debian base made here if missing
#   ENGINE=docker container/smoke.sh
#   PYTHON_IMAGE=docker.io/library/python:3.12-slim container/smoke.sh   # with registry access
#
# Without PYTHON_IMAGE the base is localhost/debian-python:bookworm: Debian bookworm's python3
# from debootstrap (root and debootstrap needed), imported into the engine, for machines that
# reach a Debian mirror and PyPI but no container registry. The host's CA bundle goes into it,
# so a TLS proxy the host trusts is trusted when the build stage installs from PyPI.
# Not part of `make test`: a build takes about a minute.
set -eu

ENGINE=${ENGINE:-podman}
PORT=${PORT:-8080}
IMAGE=${IMAGE:-localhost/mockquay:smoke}
LOCAL_BASE=localhost/debian-python:bookworm
PYTHON_IMAGE=${PYTHON_IMAGE:-$LOCAL_BASE}
ROOTFS=${ROOTFS:-/tmp/mockquay-smoke-rootfs}
FIRST_CURL="http://127.0.0.1:$PORT/api/v1/repository/acme/etcd/mirror"
cd "$(dirname "$0")/.."

now() { date +%s.%N; }
since() { awk -v start="$1" -v end="$(now)" 'BEGIN { printf "%.1f s", end - start }'; }
fail() { echo "container smoke: FAILED: $*" >&2; exit 1; }

make_local_base() {
    echo "making $LOCAL_BASE with debootstrap in $ROOTFS"
    rm -rf "$ROOTFS"
    debootstrap --variant=minbase --include=python3,python3-pip,python3-venv,python-is-python3 \
        bookworm "$ROOTFS" http://deb.debian.org/debian >"$ROOTFS.log"
    # Like python:*-slim: pip may install as root, and no package cache.
    rm -f "$ROOTFS"/usr/lib/python3*/EXTERNALLY-MANAGED
    rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
    cp /etc/ssl/certs/ca-certificates.crt "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
    tar -C "$ROOTFS" -c . | "$ENGINE" import --change 'CMD ["/bin/bash"]' - "$LOCAL_BASE" >/dev/null
    rm -rf "$ROOTFS" "$ROOTFS.log"
}

if [ "$PYTHON_IMAGE" = "$LOCAL_BASE" ] && ! "$ENGINE" image inspect "$LOCAL_BASE" >/dev/null 2>&1
then
    make_local_base
fi

# podman's default OCI format would drop the HEALTHCHECK (docs/container.md).
format=""
[ "$ENGINE" = podman ] && format="--format docker"
start=$(now)
# shellcheck disable=SC2086
"$ENGINE" build $format --build-arg PYTHON_IMAGE="$PYTHON_IMAGE" -t "$IMAGE" -f Containerfile . \
    >/dev/null
echo "build: $(since "$start") ($ENGINE, base $PYTHON_IMAGE)"
echo "image size: $("$ENGINE" image inspect --format '{{.Size}}' "$IMAGE" |
    awk '{ printf "%.0f MB", $1 / 1e6 }')"

start=$(now)
container=$("$ENGINE" run -d -p "$PORT:8080" "$IMAGE")
trap '"$ENGINE" rm -f "$container" >/dev/null 2>&1' EXIT
tries=0
until answer=$(curl -sf -H 'Authorization: Bearer admin-token' "$FIRST_CURL"); do
    tries=$((tries + 1))
    [ "$tries" -lt 300 ] || { "$ENGINE" logs "$container" >&2; fail "no answer on port $PORT"; }
    sleep 0.1
done
echo "start to first answer: $(since "$start")"
echo "$answer" | grep -q '"external_reference": "quay.io/coreos/etcd"' ||
    fail "the first curl answered $answer"

uid=$("$ENGINE" exec "$container" id -u)
[ "$uid" != 0 ] || fail "the server runs as root"
echo "user: uid $uid"

if [ "$ENGINE" = podman ]; then
    # podman schedules health checks with systemd timers; `healthcheck run` needs none.
    podman healthcheck run "$container" || fail "podman healthcheck run"
else
    tries=0
    until [ "$(docker inspect --format '{{.State.Health.Status}}' "$container")" = healthy ]; do
        tries=$((tries + 1))
        [ "$tries" -lt 40 ] || fail "docker never reported the container healthy"
        sleep 1
    done
fi
echo "health check: healthy, $(since "$start") after the start"
echo "container smoke: passed"
