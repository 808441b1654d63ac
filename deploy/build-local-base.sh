#!/bin/sh
# A base image for deploy/docker/*.Dockerfile on a machine that reaches Debian's package
# mirror but no container registry (so `FROM python:3.11-slim-bookworm` cannot be pulled):
# debootstrap a minimal Debian bookworm with its python3 (3.11, as the slim image) and venv,
# and import it into podman's local store. Then build with it:
#
#   sudo deploy/build-local-base.sh [ROOTFS]     # default /var/tmp/cloudbreak-base/rootfs
#   sudo podman build --network host --build-arg PYTHON_IMAGE=localhost/debian-python:bookworm \
#       -f deploy/docker/server.Dockerfile -t cloudbreak-server:0.1.0 .
#
# Needs root (debootstrap, and podman's rootful store), debootstrap and podman. The mirror is
# the first one in /etc/apt/sources.list(.d), or MIRROR=...; the image name is IMAGE=....
# PODMAN (default `podman`) and PODMAN_RUN_OPTS are used for the check run at the end, e.g.
# PODMAN='podman --runtime runc' PODMAN_RUN_OPTS='--ulimit nofile=4096:4096 --ulimit
# nproc=4096:4096' where crun or the default ulimits fail (docs/OPERATIONS.md says when).
# Running it again reuses the rootfs (delete it to start afresh) and re-imports the image.
set -eu

ROOTFS=${1:-/var/tmp/cloudbreak-base/rootfs}
IMAGE=${IMAGE:-localhost/debian-python:bookworm}
SUITE=${SUITE:-bookworm}

if [ "$(id -u)" != 0 ]; then
    echo "error: debootstrap needs root (run with sudo)" >&2
    exit 2
fi
for tool in debootstrap podman tar; do
    command -v "$tool" >/dev/null || { echo "error: $tool is not installed" >&2; exit 2; }
done

if [ -z "${MIRROR:-}" ]; then
    # deb822 (URIs: ...) or one-line (deb URI suite ...) sources; the first Debian archive.
    MIRROR=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
        /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | sed -n -e 's/^URIs:[[:space:]]*\(http[^[:space:]]*\/debian\)\/\{0,1\}$/\1/p' \
                 -e 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\(http[^[:space:]]*\/debian\)\/\{0,1\}[[:space:]].*/\2/p' \
        | head -n 1)
    MIRROR=${MIRROR:-http://deb.debian.org/debian}
fi

if [ ! -x "$ROOTFS/usr/bin/python3" ]; then
    echo "debootstrap $SUITE from $MIRROR into $ROOTFS"
    mkdir -p "$(dirname "$ROOTFS")"
    debootstrap --variant=minbase --include=python3,python3-venv,python-is-python3 \
        "$SUITE" "$ROOTFS" "$MIRROR"
fi
chroot "$ROOTFS" apt-get clean
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin

# What the slim image leaves out too: documentation, manual pages, translations.
tar --numeric-owner -C "$ROOTFS" \
    --exclude=./dev/* --exclude=./proc/* --exclude=./sys/* --exclude=./run/* \
    --exclude=./tmp/* --exclude=./usr/share/doc/* --exclude=./usr/share/man/* \
    --exclude=./usr/share/info/* --exclude=./usr/share/locale/* --exclude=./var/log/* \
    -c . \
    | podman import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'CMD ["python3"]' \
        --message "debootstrap $SUITE minbase + python3, python3-venv from $MIRROR" \
        - "$IMAGE"
echo "imported $IMAGE from $ROOTFS"
# shellcheck disable=SC2086  # PODMAN and PODMAN_RUN_OPTS are word lists
if ! ${PODMAN:-podman} run --rm ${PODMAN_RUN_OPTS:-} "$IMAGE" \
    python -c 'import sys, venv, ensurepip; print("it runs: Python", sys.version.split()[0])'; then
    echo "error: $IMAGE was imported but does not run; see docs/OPERATIONS.md," \
        "'Without a registry', for PODMAN and PODMAN_RUN_OPTS" >&2
    exit 1
fi
