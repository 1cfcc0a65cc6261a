#!/usr/bin/env bash
# 2-rank jobs across two network namespaces joined by a veth pair: each rank has its own address
# and interface (GLOO_SOCKET_IFNAME), as on two machines, and each job is started the way a
# cluster launcher starts it (torchrun's variables, one process per "machine"). The data-parallel
# job's metrics must equal the single-process run with the doubled batch, and the 2-group process
# pipeline's (--pipeline-sync, one group of stages per namespace) the sequential run with the same
# batch, to float rounding: training losses within a relative 1e-5, the same test predictions. The
# traffic is checked to have crossed the veth pair. Exit 77 (skipped) where namespaces cannot be made (not root, no iproute2, a
# container without CAP_NET_ADMIN) or Fashion-MNIST is not installed.
# Usage: two_namespaces.sh PATH/TO/dcl
set -uo pipefail
dcl=$1
data=/usr/share/datasets/fashion-mnist
skip() { echo "skipped: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "network namespaces need root"
command -v ip >/dev/null || skip "iproute2 (ip) is not installed"
[ -e "$data/train-images-idx3-ubyte.gz" ] || skip "Fashion-MNIST is not installed in $data"

tag=d$$
ns0=${tag}a ns1=${tag}b if0=v${tag}a if1=v${tag}b
out=$(mktemp -d)
cleanup() {
  ip netns del "$ns0" 2>/dev/null
  ip netns del "$ns1" 2>/dev/null
  rm -rf "$out"
}
trap cleanup EXIT
ip netns add "$ns0" 2>/dev/null || skip "cannot create network namespaces here"
ip netns add "$ns1"
set -e
ip link add "$if0" type veth peer name "$if1"
ip link set "$if0" netns "$ns0"
ip link set "$if1" netns "$ns1"
ip -n "$ns0" addr add 10.231.0.1/24 dev "$if0"
ip -n "$ns1" addr add 10.231.0.2/24 dev "$if1"
for ns in "$ns0" "$ns1"; do ip -n "$ns" link set lo up; done
ip -n "$ns0" link set "$if0" up
ip -n "$ns1" link set "$if1" up

common=(train --data fmnist --arch fc --method dcl --epochs 2 --limit-train 2048 --limit-test 1000 --threads 1
        --seed 4)
"$dcl" "${common[@]}" --batch-size 256 --out "$out/one" 2>"$out/one.log" || { cat "$out/one.log"; exit 1; }

# Runs the job with the extra arguments, rank r in namespace r, and compares its metrics with $out/one.
port=29561
job_across_namespaces() {
  local name=$1; shift
  local job=(WORLD_SIZE=2 LOCAL_WORLD_SIZE=1 LOCAL_RANK=0 MASTER_ADDR=10.231.0.1 MASTER_PORT=$port)
  port=$((port + 2))
  local before
  before=$(ip -n "$ns1" -s -j link show "$if1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["tx"]["bytes"])')
  ip netns exec "$ns0" env "${job[@]}" RANK=0 GLOO_SOCKET_IFNAME="$if0" \
    "$dcl" "${common[@]}" "$@" --out "$out/$name" 2>"$out/$name-rank0.log" &
  local rank0=$!
  ip netns exec "$ns1" env "${job[@]}" RANK=1 GLOO_SOCKET_IFNAME="$if1" \
    "$dcl" "${common[@]}" "$@" --out "$out/$name" 2>"$out/$name-rank1.log" &
  local rank1=$!
  set +e
  wait $rank0; local code0=$?
  wait $rank1; local code1=$?
  set -e
  if [ $code0 -ne 0 ] || [ $code1 -ne 0 ]; then
    echo "$name: rank 0 exited $code0, rank 1 exited $code1"; cat "$out/$name-rank0.log" "$out/$name-rank1.log"; exit 1
  fi
  local sent
  sent=$(ip -n "$ns1" -s -j link show "$if1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["tx"]["bytes"])')
  sent=$((sent - before))
  echo "$name: rank 1 sent $sent bytes over $if1 (10.231.0.2 -> 10.231.0.1)"
  python3 - "$out/one/metrics.jsonl" "$out/$name/metrics.jsonl" "$sent" "$name" <<'PY'
import json, sys
one = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
two = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
ok = len(one) == len(two) == 2 and int(sys.argv[3]) > 100_000  # the job's messages crossed the veth pair
for a, b in zip(one, two):
    rel = abs(a["train_loss"] - b["train_loss"]) / a["train_loss"]
    same = a["test"]["head_accuracy"] == b["test"]["head_accuracy"] and \
           a["test"]["layer_accuracy"] == b["test"]["layer_accuracy"]
    print(f'{sys.argv[4]}, epoch {a["epoch"]}: train loss {a["train_loss"]:.7f} (1 process) vs {b["train_loss"]:.7f} '
          f'(2 namespaces), relative difference {rel:.1e}; test head accuracy {a["test"]["head_accuracy"]} vs '
          f'{b["test"]["head_accuracy"]}')
    ok = ok and rel < 1e-5 and same
sys.exit(0 if ok else 1)
PY
}

job_across_namespaces data-parallel --batch-size 128
job_across_namespaces pipeline --batch-size 256 --schedule pipeline --pipeline-ranks 2 --pipeline-sync
