#!/usr/bin/env bash
# Every number in BENCHMARKS.md, in one session on one machine, release build:
#
#   1. the machine, and the load average before each step (other work on the
#      machine moves every figure; BENCHMARKS.md notes it next to each run);
#   2. OpenSSL's RSA-2048 rates (`openssl speed`);
#   3. `pasarela bench --json` three times: single operations and the
#      transports' overhead (the reqwest ratio must hold in each run);
#   4. `pasarela bench --load N --json --db postgres://…`: whole pay-ins per
#      transport and backend, each against its crypto ceiling measured in the
#      same run, without a ledger and through one (SQLite, PostgreSQL);
#   5. instruction counts (valgrind's callgrind, when installed) of the
#      reqwest transport and of a bare reqwest POST;
#   6. the Python peer (scripts/peer/python_payin.py: requests + cryptography
#      from PyPI, installed in a venv under target/bench/) against
#      `pasarela simulate`, the same flow;
#   7. the ratios and targets, computed from those outputs.
#
#   scripts/bench.sh                      # N = 1000
#   PASARELA_BENCH_LOAD_N=200 scripts/bench.sh
#   PASARELA_BENCH_DB=postgres://user@host:port/db scripts/bench.sh
#
# Without PASARELA_BENCH_DB the script starts a throwaway PostgreSQL server
# of its own (Debian's `postgresql` package: initdb and pg_ctl under
# target/bench/pg, loopback port 55433, the server's default durability:
# fsync and synchronous_commit on) and stops it at the end; without the
# package the PostgreSQL rows are left out.
#
# Writes target/bench/{machine.txt,load-average.txt,openssl.txt,
# ops-{1,2,3}.jsonl,load.jsonl,pg-cpu.txt,callgrind.txt,peer.jsonl,ratios.txt}.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/bench
n="${PASARELA_BENCH_LOAD_N:-1000}"
mkdir -p "$out"

cargo build --release -p pasarela-cli
bin=target/release/pasarela

{
  lscpu | grep -E '^(Model name|CPU\(s\)|Thread|Core|Socket)'
  grep MemTotal /proc/meminfo
  uname -sr
  rustc --version
  openssl version
  python3 --version
} | tee "$out/machine.txt"

: > "$out/load-average.txt"
load_average() {
  echo "$(date -u +%H:%M:%S) $(cut -d' ' -f1-3 /proc/loadavg)  before $1" | tee -a "$out/load-average.txt"
}

load_average "openssl speed"
openssl speed -seconds 3 rsa2048 2>/dev/null | tee "$out/openssl.txt"

for run in 1 2 3; do
  load_average "pasarela bench, run $run"
  "$bin" bench --json | tee "$out/ops-$run.jsonl"
done

db="${PASARELA_BENCH_DB:-}"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
if [ -z "$db" ] && [ -n "$pg_bin" ]; then
  pg="$PWD/$out/pg"
  rm -rf "$pg" && mkdir -p "$pg"
  as_pg=()
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$pg"; as_pg=(runuser -u postgres --); fi
  "${as_pg[@]}" "$pg_bin/initdb" --auth=trust --username=postgres --encoding=UTF8 -D "$pg/data" >/dev/null
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg/data" -w -l "$pg/server.log" \
    -o "-p 55433 -k $pg -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  trap '"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg/data" -m fast stop >/dev/null' EXIT
  db="postgres://postgres@127.0.0.1:55433/postgres"
fi
# CPU time of the PostgreSQL server's processes (reaped backends count in
# the postmaster's children's time), in clock ticks: the rows' process
# figures leave the server out, and on this machine it shares the cores.
pg_ticks() {
  local total=0 f
  for f in /proc/[0-9]*/stat; do
    read -r -a s < "$f" 2>/dev/null || continue
    [ "${s[1]}" = "(postgres)" ] && total=$((total + s[13] + s[14] + s[15] + s[16]))
  done
  echo "$total"
}
pg_before=$(pg_ticks)
load_average "pasarela bench --load $n${db:+ --db}"
"$bin" bench --load "$n" --json ${db:+--db "$db"} | tee "$out/load.jsonl"
pg_after=$(pg_ticks)
pg_rows=$(grep -c '"ledger":"postgres"' "$out/load.jsonl" || true)
if [ "$pg_rows" -gt 0 ] && [ -n "${pg:-}" ]; then
  python3 -c "import sys; t=(int(sys.argv[2])-int(sys.argv[1]))/int(sys.argv[3]); n=int(sys.argv[4])*int(sys.argv[5]); print(f'postgres server CPU during --load: {t:.1f} s for {n} pay-ins through it: {t*1000/n:.2f} ms a pay-in')" \
    "$pg_before" "$pg_after" "$(getconf CLK_TCK)" "$pg_rows" "$n" | tee "$out/pg-cpu.txt"
fi

# Instructions per request of the reqwest transport and of a bare reqwest
# POST (valgrind's callgrind: counts, not seconds, so the machine's load
# does not move them): N requests minus none, the whole process.
if command -v valgrind >/dev/null 2>&1; then
  : > "$out/callgrind.txt"
  for op in reqwest.baseline_post reqwest.transport_send; do
    for iterations in 0 2000; do
      refs=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        "$bin" bench --only "$op" --iterations "$iterations" 2>&1 |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
      echo "$op $iterations $refs" | tee -a "$out/callgrind.txt"
    done
  done
fi

venv="$out/venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check requests cryptography
load_average "python peer"
"$venv/bin/python" scripts/peer/python_payin.py --pasarela "$bin" --n "$n" | tee "$out/peer.jsonl"
load_average "(end)"

python3 - "$out" <<'PY' | tee "$out/ratios.txt"
import json, re, sys
out = sys.argv[1]

def rows(name):
    return [json.loads(line) for line in open(f"{out}/{name}") if line.strip()]

openssl = open(f"{out}/openssl.txt").read()
m = re.search(r"^rsa\s+2048 bits\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)", openssl, re.M)
ossl_sign, ossl_verify = float(m.group(1)), float(m.group(2))

def line(name, value, target, ok):
    print(f"{name:<62} {value:>10} {target:>9}  {'met' if ok else 'MISSED'}")

def rates(run):
    r = {}
    for o in rows(f"ops-{run}.jsonl"):
        r[(o["op"], o["backend"], o.get("threads", 1))] = o["ops_per_sec"]
    return r

print(f"openssl rsa2048: sign {ossl_sign}/s verify {ossl_verify}/s\n")
print("single operations (run 1 of 3):")
rate = rates(1)
r = rate[("smilepayz.prepare_pay_in", "aws-lc", 1)] / ossl_sign
line("aws-lc prepare_pay_in / openssl sign", f"{r:.3f}", ">= 0.9", r >= 0.9)
r = rate[("smilepayz.verify_callback", "aws-lc", 1)] / ossl_verify
line("aws-lc verify_callback / openssl verify", f"{r:.3f}", ">= 0.8", r >= 0.8)
for b in ("rsa", "aws-lc"):
    share = 1 - rate[("smilepayz.prepare_pay_in", b, 1)] / rate[("rsa.sign", b, 1)]
    line(f"non-RSA share of prepare_pay_in ({b})", f"{share*100:.2f}%", "<= 5%", share <= 0.05)
cost = rate[("monnet.baseline_to_vec_sha512", None, 1)] / rate[("monnet.prepare_create", None, 1)]
line("monnet prepare_create cost / (to_vec + SHA-512) cost", f"{cost:.3f}", "<= 1.5", cost <= 1.5)
over = rate[("ureq.baseline_post", None, 1)] / rate[("ureq.transport_send", None, 1)] - 1
line("ureq transport cost over a bare ureq POST", f"{over*100:.1f}%", "<= 5%", over <= 0.05)
r = rate[("smilepayz.prepare_pay_in", "aws-lc", 2)] / rate[("smilepayz.prepare_pay_in", "aws-lc", 1)]
line("aws-lc prepare_pay_in, 2 threads / 1 thread", f"{r:.3f}", ">= 1.8", r >= 1.8)

print("\nreqwest transport time / bare reqwest POST time, three runs:")
for run in (1, 2, 3):
    rate = rates(run)
    r = rate[("reqwest.baseline_post", None, 1)] / rate[("reqwest.transport_send", None, 1)]
    line(f"run {run}", f"{r:.3f}", "<= 1.05", r <= 1.05)

try:
    counts = {}
    for text in open(f"{out}/callgrind.txt"):
        op, iterations, refs = text.split()
        counts[(op, int(iterations))] = int(refs)
    per = {op: (counts[(op, 2000)] - counts[(op, 0)]) / 2000
           for op in ("reqwest.baseline_post", "reqwest.transport_send")}
    r = per["reqwest.transport_send"] / per["reqwest.baseline_post"]
    print(f"instructions per request: bare reqwest POST {per['reqwest.baseline_post']:.0f}, "
          f"transport {per['reqwest.transport_send']:.0f}")
    line("reqwest transport instructions / bare POST instructions", f"{r:.3f}", "<= 1.05", r <= 1.05)
except (FileNotFoundError, KeyError, ValueError):
    print("(no callgrind counts: valgrind is not installed)")

print("\nwhole pay-ins (bench --load):")
load = [o for o in rows("load.jsonl") if o["op"].startswith("load.")]
for o in load:
    ratio = o["pay_ins_per_sec"] / o["ceiling_per_sec"]
    print(f"  {o['op']:<17} {o['transport']:<8} {str(o['backend']):<7} {o['ledger']:<8} n={o['n']:<5} "
          f"{o['pay_ins_per_sec']:>8.1f}/s  ceiling {o['ceiling_per_sec']:>9.1f}/s  ratio {ratio:.3f}  "
          f"p50 {o['p50_ms']:.0f} ms  p99 {o['p99_ms']:.0f} ms  cpu {o['cpu_ms_per_pay_in']} ms  "
          f"rss {o['peak_rss_mb']} MiB  errors {o['errors']}")
plain = [o for o in load if o["ledger"] == "none"]
aws = sorted((o for o in plain if o["op"] == "load.pay_in" and o["backend"] == "aws-lc"),
             key=lambda o: -o["pay_ins_per_sec"])
best = aws[0]
r = best["pay_ins_per_sec"] / best["ceiling_per_sec"]
line(f"best transport ({best['transport']}, aws-lc) / ceiling", f"{r:.3f}", ">= 0.6", r >= 0.6)
for o in aws[1:]:
    r = o["pay_ins_per_sec"] / o["ceiling_per_sec"]
    line(f"{o['transport']} (aws-lc) / ceiling", f"{r:.3f}", ">= 0.5", r >= 0.5)
for o in aws:
    line(f"{o['transport']} (aws-lc) p99", f"{o['p99_ms']:.0f} ms", "<= 2000", o["p99_ms"] <= 2000)
errors = sum(o["errors"] for o in load)
line("errors, every load row", f"{errors}", "0", errors == 0)

print("\nthe ledger's cost: 1 - (pay-ins/s through it) / (pay-ins/s without it), same flow:")
by_key = {(o["op"], o["transport"], o["backend"]): o for o in plain}
for o in load:
    if o["ledger"] == "none":
        continue
    base = by_key[(o["op"], o["transport"], o["backend"])]
    cost = 1 - o["pay_ins_per_sec"] / base["pay_ins_per_sec"]
    name = f"{o['op']} {o['transport']} {o['backend']}, {o['ledger']}"
    if o["op"] == "load.pay_in" and o["backend"] == "aws-lc":
        line(name, f"{cost*100:.1f}%", "<= 25%", cost <= 0.25)
    else:
        print(f"{name:<62} {cost*100:>9.1f}%  (no target)")
try:
    print(open(f"{out}/pg-cpu.txt").read().strip())
except FileNotFoundError:
    pass

peer = rows("peer.jsonl")[0]
print(f"\nPython peer ({peer['threads']} threads, requests {peer['requests']}, "
      f"cryptography {peer['cryptography']}, Python {peer['python']}): "
      f"{peer['pay_ins_per_sec']}/s, p50 {peer['p50_ms']} ms, p99 {peer['p99_ms']} ms, "
      f"errors {peer['errors']}")
print(f"best pasarela transport (aws-lc) / Python peer: {best['pay_ins_per_sec'] / peer['pay_ins_per_sec']:.2f}x")
PY
