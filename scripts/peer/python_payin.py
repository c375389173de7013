#!/usr/bin/env python3
"""The peer figure: the whole SmilePayz pay-in written the way a Python team
would write it, against pasarela's simulator, as pay-ins per second.

`requests` for HTTP (one Session per worker thread, so connections are
pooled), `cryptography` for RSA (PKCS#1 v1.5, SHA-256), a thread pool for
concurrency, and a threaded `http.server` merchant endpoint that verifies
each callback. Each pay-in: signed create -> settlement through the
simulator's control API (which delivers the signed callback to the endpoint
and waits for its SUCCESS) -> the verified callback -> signed inquiry-status
confirming SUCCESS, our tradeNo and amount. The same flow as
`pasarela bench --load` (rows `load.pay_in`).

    python3 scripts/peer/python_payin.py --pasarela target/release/pasarela --n 1000

It starts `pasarela simulate --json` itself (its first line gives the test
credentials), runs the N pay-ins, checks that every callback was recorded
exactly once, stops the simulator and prints one JSON row on stdout:

    {"op": "peer.python_pay_in", "transport": "requests", "backend": "cryptography",
     "n": 1000, "threads": 32, "pay_ins_per_sec": ..., "p50_ms": ..., "p99_ms": ...,
     "cpu_ms_per_pay_in": ..., "errors": 0}

cpu_ms_per_pay_in is this Python process's CPU time per pay-in (the
simulator runs in its own process and is not counted). Exit 1 if any pay-in
failed. Not run in CI (it needs the packages from PyPI: see scripts/bench.sh).
"""

import argparse
import base64
import datetime
import json
import math
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

PERU = datetime.timezone(datetime.timedelta(hours=-5))
AMOUNT = 20000  # PEN 200.00 in centimos
TOLERANCE = datetime.timedelta(minutes=5)


def timestamp():
    return datetime.datetime.now(PERU).replace(microsecond=0).isoformat()


def minified(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


class Merchant:
    """The callback endpoint: verifies X-SIGNATURE over tradeNo|X-TIMESTAMP
    with the platform key, records each tradeNo once, answers SUCCESS."""

    def __init__(self, platform_public_pem):
        self.platform = serialization.load_pem_public_key(platform_public_pem.encode())
        self.lock = threading.Lock()
        self.callbacks = {}
        self.deliveries = 0
        self.rejected = 0
        merchant = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                ok = merchant.verify(self.headers, raw)
                answer = b"SUCCESS" if ok else b"invalid"
                self.send_response(200 if ok else 401)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d/smilepayz/callback" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def verify(self, headers, raw):
        try:
            body = json.loads(raw)
            trade_no = body["tradeNo"]
            stamp = headers["X-TIMESTAMP"]
            signed_at = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            if abs(datetime.datetime.now(PERU) - signed_at) > TOLERANCE:
                raise ValueError("stale timestamp")
            signature = base64.b64decode(headers["X-SIGNATURE"], validate=True)
            self.platform.verify(
                signature,
                f"{trade_no}|{stamp}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (KeyError, ValueError, TypeError, InvalidSignature):
            with self.lock:
                self.rejected += 1
            return False
        with self.lock:
            self.deliveries += 1
            # Only the signed tradeNo is authenticated; the claims are not.
            self.callbacks.setdefault(trade_no, body)
        return True

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Client:
    """The merchant's SmilePayz calls, signed with its private key."""

    def __init__(self, creds, sim_base):
        sp = creds["smilepayz"]
        self.base = sp["baseUrl"].rstrip("/")
        self.sim = sim_base.rstrip("/")
        self.merchant_id = sp["merchantId"]
        self.secret = sp["merchantSecret"].encode()
        self.key = serialization.load_pem_private_key(
            sp["merchantPrivateKey"].encode(), password=None
        )
        self.local = threading.local()

    def session(self):
        s = getattr(self.local, "session", None)
        if s is None:
            s = requests.Session()
            s.trust_env = False  # loopback: no proxies from the environment
            self.local.session = s
        return s

    def signed_post(self, path, value):
        body = minified(value)
        stamp = timestamp()
        signature = self.key.sign(
            stamp.encode() + b"|" + self.secret + b"|" + body,
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
        response = self.session().post(
            self.base + path,
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-TIMESTAMP": stamp,
                "X-PARTNER-ID": self.merchant_id,
                "X-SIGNATURE": base64.b64encode(signature).decode(),
            },
            timeout=30,
        )
        return response.status_code, response.json()

    def pay_in(self, order_no, callback_url):
        status, answer = self.signed_post("/v2.0/transaction/pay-in", {
            "merchant": {"merchantId": self.merchant_id},
            "money": {"amount": AMOUNT, "currency": "PEN"},
            "orderNo": order_no,
            "paymentMethod": "CASHIER_PE",
            "payer": {"name": "Rosa Quispe"},
            "purpose": "pasarela sample order",
            "callbackUrl": callback_url,
        })
        if status != 200 or answer.get("code") != "00" or not answer.get("tradeNo"):
            raise RuntimeError(f"create answered HTTP {status} code {answer.get('code')}")
        return answer["tradeNo"]

    def settle(self, order_no):
        response = self.session().post(
            self.sim + "/_simulator/smilepayz/complete",
            data=minified({"orderNo": order_no, "status": "SUCCESS"}),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        if response.status_code != 200 or response.json().get("delivered") is not True:
            raise RuntimeError(f"settlement answered HTTP {response.status_code}")

    def confirm(self, order_no, trade_no):
        status, answer = self.signed_post(
            "/v2.0/inquiry-status", {"tradeType": 1, "orderNo": order_no}
        )
        money = answer.get("money") or {}
        if not (
            status == 200
            and answer.get("code") == "00"
            and answer.get("status") == "SUCCESS"
            and answer.get("tradeNo") == trade_no
            and money.get("amount") == AMOUNT
            and money.get("currency") == "PEN"
        ):
            raise RuntimeError(f"not confirmed: HTTP {status} {answer.get('status')}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pasarela", default="target/release/pasarela")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=32)
    args = parser.parse_args()

    sim = subprocess.Popen(
        [args.pasarela, "simulate", "--json", "--max-orders", str(args.n + 16)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        creds = json.loads(sim.stdout.readline())
        sim_base = "http://" + creds["addr"]
        merchant = Merchant(creds["smilepayz"]["platformPublicKey"])
        client = Client(creds, sim_base)

        def one(i):
            order_no = f"PEER{i:08d}"
            trade_no = client.pay_in(order_no, merchant.url)
            client.settle(order_no)
            with merchant.lock:
                if trade_no not in merchant.callbacks:
                    raise RuntimeError("acknowledged, but no verified callback recorded")
            client.confirm(order_no, trade_no)
            return time.perf_counter() - start

        cpu_before = time.process_time()
        start = time.perf_counter()
        latencies, errors = [], []
        with ThreadPoolExecutor(max_workers=args.threads) as pool:
            for future in [pool.submit(one, i) for i in range(args.n)]:
                try:
                    latencies.append(future.result())
                except Exception as e:  # noqa: BLE001 -- every failure counts
                    errors.append(str(e))
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu_before
        merchant.close()
        if len(merchant.callbacks) != args.n:
            errors.append(f"{len(merchant.callbacks)} callbacks recorded, expected {args.n}")
        if merchant.rejected:
            errors.append(f"{merchant.rejected} callbacks refused")
    finally:
        sim.terminate()
        sim.wait()

    latencies.sort()

    def at(q):
        if not latencies:
            return 0.0
        return latencies[max(0, math.ceil(len(latencies) * q) - 1)] * 1e3

    row = {
        "op": "peer.python_pay_in",
        "transport": "requests",
        "backend": "cryptography",
        "n": args.n,
        "threads": args.threads,
        "pay_ins_per_sec": round(args.n / elapsed, 1),
        "p50_ms": round(at(0.5), 1),
        "p99_ms": round(at(0.99), 1),
        "cpu_ms_per_pay_in": round(cpu * 1e3 / args.n, 3),
        "errors": len(errors),
        "python": sys.version.split()[0],
        "requests": requests.__version__,
        "cryptography": __import__("cryptography").__version__,
    }
    print(json.dumps(row), flush=True)
    if errors:
        print(f"python_payin: {len(errors)} errors, first: {errors[0]}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
