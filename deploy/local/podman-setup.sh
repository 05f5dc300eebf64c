#!/bin/sh
# Makes podman usable on a Debian bookworm machine like the CI one (root, sandboxed, no container
# registry reachable) and builds the local base image the deploy files use. Idempotent: every
# step checks first and does nothing when it is already done, so `make test` runs it each time.
#
#   sudo deploy/local/podman-setup.sh
#
# Steps (README "Deploy"):
# 1. podman, runc, mmdebstrap and podman-compose from Debian's packages.
# 2. /etc/containers/containers.conf: runc as the runtime (crun, podman's default, cannot start
#    containers in this sandbox) and ulimits the sandbox accepts (higher ones are refused).
# 3. localhost/debian:bookworm, a minbase Debian root file system made by mmdebstrap and
#    imported: no registry is reachable, so no `FROM debian` or `FROM python`.
set -eu

BASE_IMAGE=${DIPLOWIRE_BASE_IMAGE:-localhost/debian:bookworm}
CONF=/etc/containers/containers.conf

say() { echo "podman-setup: $*"; }

need=""
for cmd in podman runc mmdebstrap podman-compose; do
    command -v "$cmd" >/dev/null 2>&1 || need="$need $cmd"
done
if [ -n "$need" ]; then
    [ "$(id -u)" -eq 0 ] || { say "missing:$need (run as root to install)"; exit 1; }
    say "installing podman runc mmdebstrap podman-compose"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q podman runc mmdebstrap podman-compose
fi

# The file is ours if it carries the marker; one a user wrote is left alone (and said so).
MARK="# written by diplowire deploy/local/podman-setup.sh"
if [ ! -e "$CONF" ]; then
    say "writing $CONF (runtime runc, ulimits)"
    mkdir -p /etc/containers
    cat >"$CONF" <<CONFEOF
$MARK
[engine]
runtime = "runc"

[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
CONFEOF
elif ! grep -q 'runtime *= *"runc"' "$CONF"; then
    say "$CONF exists without runtime = \"runc\": left as it is (crun may fail in a sandbox)"
fi

if ! podman image exists "$BASE_IMAGE"; then
    say "building $BASE_IMAGE with mmdebstrap (about a minute)"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    mmdebstrap --quiet --variant=minbase bookworm "$tmp/rootfs.tar"
    podman import --quiet "$tmp/rootfs.tar" "$BASE_IMAGE" >/dev/null
fi
say "ready ($(podman --version), base $BASE_IMAGE)"
