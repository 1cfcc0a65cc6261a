#!/usr/bin/env bash
# Alternates the authors' PyTorch DCL (bench/reference/dcl_vgg8b_step.py, run from a checkout of
# their repository) and our `dcl bench` on the same VGG8B step, ROUNDS times, in one sitting:
# each round runs the reference driver, then `dcl bench ... --json`, and prints both medians.
# At the end: the median over rounds of each program's median step time and their ratio.
#
#   bench/reference/alternate.sh CHECKOUT [ROUNDS=3] [METHOD=dcl]
#
# METHOD: dcl | dcl-s | bp (the same name in both programs).
# Environment (defaults): THREADS=2 BATCH=128 INPUT=3x32x32 STEPS=2 WARMUP=1 (both programs get
# the same steps and warm-up steps), PY=.venv-torch2/bin/python, DCL=build/dcl,
# DCL_EXTRA="" (more `dcl bench` flags, e.g. "--dropout 0.05" for the authors' CIFAR-10 dropout),
# REF_EXTRA="" (more driver flags).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
usage="usage: $0 CHECKOUT [ROUNDS] [dcl|dcl-s|bp]"
[ $# -ge 1 ] || { echo "$usage" >&2; exit 2; }
CHECKOUT=$1
ROUNDS=${2:-3}
METHOD=${3:-dcl}
THREADS=${THREADS:-2}
BATCH=${BATCH:-128}
INPUT=${INPUT:-3x32x32}
STEPS=${STEPS:-2}
WARMUP=${WARMUP:-1}
PY=${PY:-$root/.venv-torch2/bin/python}
DCL=${DCL:-$root/build/dcl}
DCL_EXTRA=${DCL_EXTRA:-}
REF_EXTRA=${REF_EXTRA:-}
case $ROUNDS in '' | *[!0-9]* | 0) echo "ROUNDS must be a positive integer; $usage" >&2; exit 2 ;; esac
case $METHOD in dcl | dcl-s | bp) ;; *) echo "METHOD must be dcl, dcl-s or bp; $usage" >&2; exit 2 ;; esac
[ -x "$PY" ] || { echo "no python at $PY (set PY=...)" >&2; exit 2; }
[ -x "$DCL" ] || { echo "no dcl binary at $DCL (build it, or set DCL=...)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2206
ref_cmd=("$PY" "$here/dcl_vgg8b_step.py" --repo "$CHECKOUT" --method "$METHOD" --batch-size "$BATCH"
  --steps "$STEPS" --warmup "$WARMUP" --threads "$THREADS" --input "$INPUT" $REF_EXTRA)
# shellcheck disable=SC2206
dcl_cmd=("$DCL" bench --arch vgg8b --input "$INPUT" --batch-size "$BATCH" --methods "$METHOD"
  --steps "$STEPS" --warmup "$WARMUP" --threads "$THREADS" $DCL_EXTRA --json)
echo "reference: ${ref_cmd[*]}"
echo "ours:      ${dcl_cmd[*]}"

run() {  # run NAME CMD...: stdout to $tmp/NAME.out, stderr to $tmp/NAME.err; shows stderr on failure
  local name=$1
  shift
  if ! "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"; then
    echo "$name failed:" >&2
    cat "$tmp/$name.err" "$tmp/$name.out" >&2
    exit 1
  fi
}

: >"$tmp/medians"
for ((r = 1; r <= ROUNDS; r++)); do
  run reference "${ref_cmd[@]}"
  ref=$(tail -n 1 "$tmp/reference.out" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["median_step_seconds"])')
  run dcl "${dcl_cmd[@]}"
  ours=$("$PY" -c '
import json, sys
j = json.load(open(sys.argv[1]))
print(next(m["median_step_seconds"] for m in j["methods"] if m["method"] == sys.argv[2]))' "$tmp/dcl.out" "$METHOD")
  echo "$ref $ours" >>"$tmp/medians"
  "$PY" -c 'import sys; r, o = map(float, sys.argv[1:3]); print(f"round {sys.argv[3]}: reference {r:.4f} s/step ({int(sys.argv[4]) / r:.1f} img/s), dcl bench {o:.4f} s/step ({int(sys.argv[4]) / o:.1f} img/s), reference/ours {r / o:.2f}x")' \
    "$ref" "$ours" "$r/$ROUNDS" "$BATCH"
done

"$PY" - "$tmp/medians" "$METHOD" "$BATCH" "$THREADS" <<'EOF'
import statistics, sys
rows = [tuple(map(float, line.split())) for line in open(sys.argv[1]) if line.strip()]
ref = statistics.median(r for r, _ in rows)
ours = statistics.median(o for _, o in rows)
per_round = statistics.median(r / o for r, o in rows)
print(f"{sys.argv[2]}, batch {sys.argv[3]}, {sys.argv[4]} threads, {len(rows)} rounds: "
      f"median over rounds: reference {ref:.4f} s/step, dcl bench {ours:.4f} s/step; "
      f"ratio reference/ours {ref / ours:.2f}x (median of the per-round ratios {per_round:.2f}x)")
EOF
