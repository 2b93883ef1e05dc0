#!/usr/bin/env bash
# Short, bounded coverage-guided fuzz run of every weir-fuzz target (libFuzzer
# through cargo-fuzz) on the STABLE toolchain: no nightly; RUSTC_BOOTSTRAP=1 only with a sanitizer.
#
#   fuzz/run-short.sh                 # every target, 20 s each
#   FUZZ_SECONDS=60 fuzz/run-short.sh # longer
#   FUZZ_TARGETS="reader_ops" fuzz/run-short.sh
#   FUZZ_SANITIZER=address fuzz/run-short.sh   # with AddressSanitizer (3x slower)
#
# Installs cargo-fuzz (from crates.io, `cargo install --locked`) if missing.
# New inputs go to a scratch corpus; the checked-in corpus (fuzz/corpus/<t>)
# is only read. Exits non-zero if any target crashes; the crash input is in
# fuzz/artifacts/<target>/ and the libFuzzer log is printed.
set -euo pipefail

cd "$(dirname "$0")/.."
SECONDS_EACH="${FUZZ_SECONDS:-20}"
SANITIZER="${FUZZ_SANITIZER:-none}"
CARGO_FUZZ_VERSION="0.13.2"
# With no sanitizer, cargo-fuzz passes only stable flags (-Cpasses=sancov-module,
# -Cllvm-args=..., --cfg fuzzing): plain stable builds it. A sanitizer needs
# -Zsanitizer=..., which stable rustc accepts only with RUSTC_BOOTSTRAP=1.
if [ "$SANITIZER" != none ]; then
    export RUSTC_BOOTSTRAP=1
fi

say() { printf '[fuzz] %s\n' "$*"; }

if ! cargo fuzz --version >/dev/null 2>&1; then
    say "cargo-fuzz not found: cargo install --locked cargo-fuzz --version $CARGO_FUZZ_VERSION"
    start=$(date +%s)
    cargo install --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION"
    say "installed cargo-fuzz in $(( $(date +%s) - start )) s"
fi
say "$(cargo fuzz --version), $(rustc --version), sanitizer=$SANITIZER, RUSTC_BOOTSTRAP=${RUSTC_BOOTSTRAP:-unset}"

targets="${FUZZ_TARGETS:-$(cargo fuzz list)}"
say "targets: $(echo $targets)"

start=$(date +%s)
say "building (release + debug assertions, libFuzzer): cargo fuzz build --features libfuzzer -s $SANITIZER --debug-assertions"
cargo fuzz build --features libfuzzer -s "$SANITIZER" --debug-assertions
say "built in $(( $(date +%s) - start )) s"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
failed=()
for t in $targets; do
    mkdir -p "$scratch/$t"
    seeds="fuzz/corpus/$t"
    n_seeds=$(find "$seeds" -type f 2>/dev/null | wc -l || true)
    say "$t: ${SECONDS_EACH} s from $n_seeds seed files in $seeds"
    log="$scratch/$t.log"
    if cargo fuzz run "$t" --features libfuzzer -s "$SANITIZER" --debug-assertions "$scratch/$t" "$seeds" -- \
        -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
        cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
        say "$t: ok, ${runs:-?} runs, ${rate:-?} execs/s, $cov, $(find "$scratch/$t" -type f | wc -l) new corpus files"
    else
        say "$t: CRASH (exit $?). libFuzzer log:"
        sed -n '/panicked at/,/stack backtrace/p' "$log" | head -80 || true
        grep -v -e '^#[0-9]' -e '^ *[0-9]*: ' -e '^ *at ' "$log" | tail -25 || true
        say "$t: crash input(s) in fuzz/artifacts/$t/: $(ls "fuzz/artifacts/$t/" 2>/dev/null | tr '\n' ' ' || true)"
        say "$t: reproduce: cargo fuzz run $t --features libfuzzer -s $SANITIZER fuzz/artifacts/$t/<file>, or copy it into fuzz/corpus/$t/ and cargo test -p weir-fuzz --test replay"
        failed+=("$t")
    fi
done

if [ ${#failed[@]} -ne 0 ]; then
    say "FAILED: ${failed[*]}"
    exit 1
fi
say "all targets ran ${SECONDS_EACH} s each without a crash"
