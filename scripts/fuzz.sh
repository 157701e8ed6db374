#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ and runs each for DURATION seconds (default 300), as many at
# once as there are cores (PARALLEL), starting from the seed corpus in Fuzz/Corpus/<target> plus
# what earlier runs found in .local/fuzz/<target>/corpus. A crash leaves its input in .local/fuzz/<target>/ (crash-*, leak-*,
# oom-*, timeout-*) and fails the run; reproduce it with `.build-fuzz/debug/<target> <file>`.
# TARGETS="FuzzJSONWriter FuzzRESPReader" runs only those.
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${DURATION:-300}"
targets=(${TARGETS:-FuzzRequestFields FuzzUpgradeToken FuzzFrameAggregator FuzzJSONWriter FuzzRESPReader})
scratch=.build-fuzz
# A crash is reported by AddressSanitizer and libFuzzer; Swift's backtracer would race them for it.
export SWIFT_BACKTRACE=enable=no

swift build --package-path Fuzz --scratch-path "$scratch"

parallel="${PARALLEL:-$(nproc)}"

# Fuzzes one target (in the background) and leaves `ok` or `CRASH` in its work folder.
fuzz() {
    local target=$1 work=".local/fuzz/$1" result status
    mkdir -p "$work/corpus"
    rm -f "$work/result"
    # -timeout: an input taking 10 s is a finding (a client could send it), not something to wait for.
    if "$scratch/debug/$target" "$work/corpus" "Fuzz/Corpus/$target" \
        -max_total_time="$duration" -timeout=10 -artifact_prefix="$work/" -print_final_stats=1 \
        >"$work/log" 2>&1; then
        result=ok
    else
        result=CRASH
        grep -m1 -E 'ERROR|failed|Fatal error' "$work/log" || true
    fi
    echo "$result" >"$work/result"
    # The last status line: executions, coverage (cov: edges, ft: features), corpus size.
    status="$(grep -E '^#[0-9]+' "$work/log" | tail -1 | sed -E 's/ +/ /g')"
    echo "fuzz: $target ${duration}s $result: $status"
}

for target in "${targets[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n; done
    fuzz "$target" &
done
wait

failed=()
for target in "${targets[@]}"; do
    [ "$(cat ".local/fuzz/$target/result")" = ok ] || failed+=("$target")
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: crashed: ${failed[*]} (inputs and logs under .local/fuzz/)" >&2
    exit 1
fi
