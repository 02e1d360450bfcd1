#!/usr/bin/env bash
# CI's image step: build the Dockerfile with podman and run the image.
#   1. podman, runc and mmdebstrap from Debian (installed when missing);
#   2. the Dockerfile's base image: no registry is reachable from CI, so a stand-in is made from
#      Debian packages (mmdebstrap | podman import) and tagged with the FROM name; podman's
#      image store keeps it, so only the first run on a machine pays for it;
#   3. podman build (the host's CA bundle mounted read-only, for pip's HTTPS);
#   4. in the image: the version, `sdrs-bot demo --scripted`; then `serve` (HTTP mode) against
#      the SDRS/ECS emulator (`sdrs-bot sandbox`, same image, sharing its network), /healthz and
#      /readyz answered from the host through published ports, SIGTERM, a clean exit in time.
# Exits non-zero when any step fails. Prints the time of each step and the image size.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=docker.io/library/python:3.11-slim-bookworm  # the Dockerfile's FROM (ARG BASE)
IMAGE=localhost/sdrs-bot:ci
SUITE=bookworm  # Python 3.11, as the official python:3.11-slim-bookworm
started=$SECONDS
step() { echo "== image: $* (+$((SECONDS - started)) s)"; }

if ! { command -v podman && command -v runc && command -v mmdebstrap; } >/dev/null 2>&1; then
    step "installing podman, runc, mmdebstrap from Debian"
    export DEBIAN_FRONTEND=noninteractive
    # another run on this machine may be installing too: wait for its lock (up to 10 min)
    apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq podman runc mmdebstrap >/dev/null
fi

# A private podman configuration (never /etc): runc (crun cannot start containers on these
# machines) and container ulimits within this machine's hard limits (podman's defaults exceed
# them, and runc then fails with "error setting rlimit ... operation not permitted"). The
# process limit is also capped at kernel.pid_max: here runc cannot set RLIMIT_NPROC above it.
work=$(mktemp -d)
emu="" bot=""
cleanup() {
    for c in $bot $emu; do podman rm -f -t 0 "$c" >/dev/null 2>&1 || true; done
    rm -rf "$work"
}
trap cleanup EXIT
nofile=$(ulimit -Hn)
nproc=$(ulimit -Hu)
pid_max=$(cat /proc/sys/kernel/pid_max)
if [ "$nproc" = unlimited ] || [ "$nproc" -gt "$pid_max" ]; then nproc=$pid_max; fi
if [ "$nofile" = unlimited ]; then nofile=1048576; fi
cat >"$work/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
events_logger = "file"
CONF
export CONTAINERS_CONF="$work/containers.conf"
# No systemd here to time the HEALTHCHECK: it is run by hand below (podman healthcheck run).
prun() { podman run --health-interval disable "$@"; }

if podman image exists "$BASE"; then
    step "base image $BASE: cached"
else
    step "making the base image $BASE from Debian $SUITE (mmdebstrap)"
    # Python 3.11 with venv, and passwd for useradd: what the official slim image offers.
    mmdebstrap --quiet --variant=minbase --include=python3,python3-venv,passwd \
        --aptopt='Acquire::Check-Valid-Until "false"' \
        --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        "$SUITE" "$work/base.tar" http://deb.debian.org/debian
    podman import --quiet "$work/base.tar" "$BASE" >/dev/null
    rm -f "$work/base.tar"
fi

version=$(python3 -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
step "podman build (sdrs-bot $version)"
ca=/etc/ssl/certs/ca-certificates.crt
mounts=()
[ -s "$ca" ] && mounts=(--volume "$ca:$ca:ro")
podman build --quiet --format docker --pull=never "${mounts[@]}" \
    --build-arg VERSION="$version" --tag "$IMAGE" . >/dev/null
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
step "image $IMAGE: $((size / 1000000)) MB"

step "version in the image"
got=$(prun --rm --entrypoint python "$IMAGE" -c \
    "import importlib.metadata as m; print(m.version('sdrs-bot'))")
[ "$got" = "$version" ] || { echo "image has sdrs-bot $got, pyproject says $version" >&2; exit 1; }
if grep -q -- '"--version"' bot/cli.py; then
    got=$(prun --rm "$IMAGE" --version)
    case "$got" in *"$version"*) ;; *) echo "sdrs-bot --version said: $got" >&2; exit 1 ;; esac
fi
echo "sdrs-bot $version"

step "sdrs-bot demo --scripted in the image"
prun --rm "$IMAGE" demo --scripted --port 0 --job-seconds 1 >"$work/demo.log" 2>&1 || {
    tail -n 30 "$work/demo.log" >&2; echo "the scripted demo failed in the image" >&2; exit 1
}

step "serve against the emulator; probes from the host"
ports=$(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1", 0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
read -r health_port http_port <<<"$ports"
# The emulator owns the network namespace (and the published ports); the bot joins it, so it
# reaches the emulator on 127.0.0.1 and its ports are the ones published.
emu=$(prun -d -p "127.0.0.1:$health_port:9464" -p "127.0.0.1:$http_port:3000" \
    "$IMAGE" sandbox --host 127.0.0.1 --port 8780 --job-seconds 1)
bot=$(prun -d --network "container:$emu" \
    -e SLACK_BOT_TOKEN=xoxb-ci-not-real -e SLACK_SIGNING_SECRET=ci-signing-secret \
    -e SLACK_API_URL=http://127.0.0.1:9/api/ \
    -e HUAWEICLOUD_SDK_AK=SANDBOXAKEXAMPLE0001 -e HUAWEICLOUD_SDK_SK=sandbox-secret-key-not-a-real-one \
    -e HUAWEICLOUD_SDK_PROJECT_ID=5a4db1a5e0e64c3a9a1f5d0c2b7e9f10 \
    -e SDRS_ENDPOINT=http://127.0.0.1:8780 -e ECS_ENDPOINT=http://127.0.0.1:8780 \
    -e POLICY_RESIZE_CHANNELS=C0CIONLY01 -e POLICY_RENAME_CHANNELS=C0CIONLY01 \
    -e SHUTDOWN_SECONDS=10 "$IMAGE")
probe() {  # probe URL: wait up to 60 s for a 200
    for _ in $(seq 1 120); do
        if python3 -c "import sys, urllib.request
sys.exit(0 if urllib.request.urlopen('$1', timeout=2).status == 200 else 1)" 2>/dev/null; then
            echo "200 $1"; return 0
        fi
        sleep 0.5
    done
    echo "no 200 from $1" >&2; podman logs "$bot" 2>&1 | tail -n 30 >&2; return 1
}
probe "http://127.0.0.1:$health_port/healthz"
probe "http://127.0.0.1:$health_port/readyz"
probe "http://127.0.0.1:$http_port/healthz"
podman healthcheck run "$bot" >/dev/null || { echo "the image's HEALTHCHECK failed" >&2; exit 1; }
echo "HEALTHCHECK healthy"
user=$(podman exec "$bot" id -u)
[ "$user" = 10001 ] || { echo "serve runs as uid $user, not the image's user 10001" >&2; exit 1; }
podman exec "$bot" test -s /data/sdrs-bot.sqlite3 || {
    echo "the database is not in /data (DATABASE_URL of the image)" >&2; exit 1; }
echo "serve runs as uid 10001, its SQLite database in /data"

step "SIGTERM: a clean exit within SHUTDOWN_SECONDS"
t0=$SECONDS
podman kill --signal TERM "$bot" >/dev/null
code=$(timeout 30 podman wait "$bot")
took=$((SECONDS - t0))
podman logs "$bot" >"$work/serve.log" 2>&1
if [ "$code" != 0 ] || [ "$took" -gt 10 ] || grep -q Traceback "$work/serve.log"; then
    tail -n 30 "$work/serve.log" >&2
    echo "serve did not stop cleanly on SIGTERM (exit $code after ${took} s)" >&2
    exit 1
fi
echo "serve stopped on SIGTERM: exit 0 after ${took} s"
step "done: image step took $((SECONDS - started)) s; image $((size / 1000000)) MB"
