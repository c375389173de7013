#!/usr/bin/env bash
# The measurement behind BENCHMARKS.md, in one session on one machine:
# OpenSSL's RSA-2048 rates, then `pasarela bench --json` (release build),
# then the issue-6 ratios computed from those two outputs.
#
#   scripts/bench.sh            # writes target/bench/{openssl.txt,pasarela.jsonl}
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/bench
mkdir -p "$out"

cargo build --release -p pasarela-cli
lscpu | grep -E '^(Model name|CPU\(s\)|Thread|Core|Socket)' | tee "$out/machine.txt"
openssl version | tee -a "$out/machine.txt"

openssl speed -seconds 3 rsa2048 2>/dev/null | tee "$out/openssl.txt"
./target/release/pasarela bench --json | tee "$out/pasarela.jsonl"

python3 - "$out/openssl.txt" "$out/pasarela.jsonl" <<'PY'
import json, re, sys
openssl = open(sys.argv[1]).read()
m = re.search(r"^rsa\s+2048 bits\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)", openssl, re.M)
ossl_sign, ossl_verify = float(m.group(1)), float(m.group(2))
rate = {}
for line in open(sys.argv[2]):
    o = json.loads(line)
    if "threads" not in o:  # the multi-threaded rows are read below
        rate[(o["op"], o["backend"])] = o["ops_per_sec"]

def row(name, value, target, ok):
    print(f"{name:<58} {value:>8} {target:>8}  {'met' if ok else 'MISSED'}")

print(f"\nopenssl rsa2048: sign {ossl_sign}/s verify {ossl_verify}/s")
r = rate[("smilepayz.prepare_pay_in", "aws-lc")] / ossl_sign
row("aws-lc prepare_pay_in / openssl sign", f"{r:.3f}", ">= 0.9", r >= 0.9)
r = rate[("smilepayz.verify_callback", "aws-lc")] / ossl_verify
row("aws-lc verify_callback / openssl verify", f"{r:.3f}", ">= 0.8", r >= 0.8)
for b in ("rsa", "aws-lc"):
    # time(prepare) = time(sign) + time(rest): rest / prepare = 1 - prepare_rate / sign_rate
    share = 1 - rate[("smilepayz.prepare_pay_in", b)] / rate[("rsa.sign", b)]
    row(f"non-RSA share of prepare_pay_in ({b})", f"{share*100:.2f}%", "<= 5%", share <= 0.05)
cost = rate[("monnet.baseline_to_vec_sha512", None)] / rate[("monnet.prepare_create", None)]
row("monnet prepare_create cost / (to_vec + SHA-512) cost", f"{cost:.3f}", "<= 1.5", cost <= 1.5)
bare = rate[("ureq.baseline_post", None)]
timed = rate[("ureq.baseline_post_with_timeouts", None)]
send = rate[("ureq.transport_send", None)]
over = bare / send - 1
row("ureq transport cost over a bare ureq POST", f"{over*100:.1f}%", "<= 5%", over <= 0.05)
print(f"  (reference: bare ureq with the transport's timeouts but ureq's own resolver: {timed:.0f}/s, "
      f"{(bare / timed - 1)*100:.1f}% slower than bare; the transport's caching resolver avoids that)")
bare = rate[("reqwest.baseline_post", None)]
send = rate[("reqwest.transport_send", None)]
r = bare / send
row("reqwest transport time / bare reqwest POST time", f"{r:.3f}", "<= 1.05", r <= 1.05)
threads = {}
for line in open(sys.argv[2]):
    o = json.loads(line)
    if o["op"] == "smilepayz.prepare_pay_in" and o["backend"] == "aws-lc":
        threads[o.get("threads", 1)] = o["ops_per_sec"]
r = threads[2] / threads[1]
row("aws-lc prepare_pay_in, 2 threads / 1 thread", f"{r:.3f}", ">= 1.8", r >= 1.8)
PY
