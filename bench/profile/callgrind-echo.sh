#!/usr/bin/env bash
# Counts the instructions a line-echo server spends in user space on a fixed
# exchange (10 connections x 4,000 lines of 64 B, bursts of 16, twice), with
# valgrind's callgrind: repeatable whatever else the machine is doing.
#
#   bash bench/profile/callgrind-echo.sh            # weir-tokio and tokio-bufio
#   bash bench/profile/callgrind-echo.sh SERVER...  # any of: weir-tokio tokio-bufio
#                          weir-smol smol-bufio weir-async-std async-std-bufio
#
# Needs valgrind (apt-get install valgrind). Prints the total per server and
# leaves the profiles in target/callgrind/ for callgrind_annotate.
#
# LOAD="CONNS LINES BURST LEN" changes the exchange (default "10 2000 16 64",
# run twice); LOAD="1 2000 4 16384" is p3's shape. Note that valgrind counts
# each byte a `rep movsb` copy moves as an instruction: with long lines the
# totals are mostly copies.
set -euo pipefail
cd "$(dirname "$0")/../.."
servers=("$@")
[ ${#servers[@]} -gt 0 ] || servers=(weir-tokio tokio-bufio)
cargo build --release -q -p weir-tokio --example echo_server -p weir-smol --example echo_server_smol \
    -p weir-async-std --example echo_server_async_std \
    -p weir-bench --bin tokio-bufio --bin smol-bufio --bin async-std-bufio
mkdir -p target/callgrind
for s in "${servers[@]}"; do
    case $s in
        weir-tokio) cmd=(target/release/examples/echo_server --mode lines) ;;
        weir-smol) cmd=(target/release/examples/echo_server_smol --mode lines) ;;
        weir-async-std) cmd=(target/release/examples/echo_server_async_std --mode lines) ;;
        tokio-bufio | smol-bufio | async-std-bufio) cmd=(target/release/$s) ;;
        *) echo "callgrind-echo: unknown server $s (weir-tokio, tokio-bufio, weir-smol, smol-bufio, weir-async-std, async-std-bufio)" >&2; exit 2 ;;
    esac
    out=target/callgrind/$s.out
    rm -f "$out"
    valgrind --tool=callgrind --callgrind-out-file="$out" "${cmd[@]}" --host 127.0.0.1 --port 0 \
        > target/callgrind/$s.stdout 2> target/callgrind/$s.stderr &
    pid=$!
    port=""
    for _ in $(seq 1 300); do
        port=$(grep -o 'Serving on 127.0.0.1:[0-9]*' target/callgrind/$s.stdout | head -1 | cut -d: -f2 || true)
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { echo "callgrind-echo: $s did not start" >&2; kill $pid; exit 1; }
    # shellcheck disable=SC2086
    python3 bench/profile/burst_client.py "$port" ${LOAD:-10 2000 16 64}
    # shellcheck disable=SC2086
    python3 bench/profile/burst_client.py "$port" ${LOAD:-10 2000 16 64}
    kill -INT $pid; sleep 0.5; kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
    printf '%-16s %s instructions\n' "$s" "$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {print $1}')"
done
