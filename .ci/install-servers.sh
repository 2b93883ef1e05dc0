#!/usr/bin/env bash
# Installs the real servers that weir-tokio's protocol tests talk to:
# redis-server (+ redis-tools: redis-cli, redis-benchmark) and memcached.
# Idempotent and quiet: installs only what is missing, prints what it did.
# Needs root (or sudo) and Debian's apt-get.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have redis-server || need+=(redis-server)
{ have redis-cli && have redis-benchmark; } || need+=(redis-tools)
have memcached || need+=(memcached)

if [ ${#need[@]} -eq 0 ]; then
    echo "install-servers: redis-server, redis-cli, redis-benchmark and memcached already installed"
    exit 0
fi

if ! have apt-get; then
    echo "install-servers: missing ${need[*]} and no apt-get here; install them with your package manager" >&2
    exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if have sudo; then sudo="sudo"; else
        echo "install-servers: missing ${need[*]}; run as root to install them with apt-get" >&2
        exit 1
    fi
fi

echo "install-servers: installing ${need[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# Quiet unless it fails; then apt-get's own words say why. The packages'
# own services are not needed: the tests start their own servers on free
# loopback ports (and stop them).
if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "install-servers: apt-get failed to install ${need[*]}" >&2
    exit 1
fi

for b in redis-server redis-cli redis-benchmark memcached; do
    if ! have "$b"; then
        echo "install-servers: $b still missing after apt-get install" >&2
        exit 1
    fi
done
echo "install-servers: installed: $(redis-server --version | cut -d' ' -f1-3), $(memcached -V)"
