#!/usr/bin/env python3
"""An independent client for the pasarela gateway simulator.

Written from the protocol documents only (shared/spec/GATEWAYS.md and the two
seeds in shared/seeds/), without looking at the Rust SDK, so that a simulator
that agrees with it agrees with the documents rather than with itself.

Python 3 standard library plus the `openssl` command line (for RSA).

    python3 independent_client.py http://127.0.0.1:PORT

Prints one line per check, `ok <name>` or `FAIL <name>: <why>`, and exits 0
only if every check passed (2 on a usage error or when openssl is missing).
"""

import base64
import datetime
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HTTP_TIMEOUT = 15  # seconds, for every call to the simulator
CALLBACK_WAIT = 10  # seconds to wait for a callback or notification
PERU = datetime.timezone(datetime.timedelta(hours=-5))

# ---------------------------------------------------------------- reporting

RESULTS = []
VERBOSE = False  # --verbose: also show the evidence behind each `ok`


def check(name, passed, why=""):
    """Record and print one check."""
    RESULTS.append((name, bool(passed)))
    if passed:
        print(f"ok {name}", flush=True)
        if VERBOSE and why:
            print(f"   {why}", flush=True)
    else:
        print(f"FAIL {name}: {why}", flush=True)
    return bool(passed)


# ---------------------------------------------------------------- HTTP

# The simulator is on loopback: never route through an HTTP(S)_PROXY from the
# environment.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http(method, url, body=None, headers=None):
    """One HTTP call. Returns (status, headers, body bytes); never raises on
    an HTTP error status. Transport failures come back as status 0."""
    request = urllib.request.Request(url, data=body, method=method)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with OPENER.open(request, timeout=HTTP_TIMEOUT) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
    except (urllib.error.URLError, OSError) as error:
        return 0, {}, str(error).encode()


def as_json(raw):
    try:
        value = json.loads(raw.decode("utf-8"))
        return value if isinstance(value, dict) else {}
    except (UnicodeDecodeError, ValueError):
        return {}


def post_json(url, value):
    return http(
        "POST",
        url,
        json.dumps(value).encode(),
        {"Content-Type": "application/json"},
    )


def short(raw, limit=300):
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return text if len(text) <= limit else text[:limit] + "..."


# ---------------------------------------------------------------- openssl


class OpenSSL:
    """RSASSA-PKCS1-v1_5 / SHA-256 through the openssl command line."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.count = 0

    def _path(self, stem):
        self.count += 1
        return os.path.join(self.workdir, f"{stem}-{self.count}")

    def write_key(self, stem, pem):
        path = os.path.join(self.workdir, stem + ".pem")
        with open(path, "w", encoding="ascii") as f:
            f.write(pem if pem.endswith("\n") else pem + "\n")
        return path

    def generate_key(self, stem):
        path = os.path.join(self.workdir, stem + ".pem")
        subprocess.run(
            ["openssl", "genpkey", "-algorithm", "RSA",
             "-pkeyopt", "rsa_keygen_bits:2048", "-out", path],
            check=True, capture_output=True,
        )
        return path

    def sign(self, key_path, data):
        """Standard base64 (with padding) of the signature over `data`."""
        done = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", key_path],
            input=data, check=True, capture_output=True,
        )
        return base64.b64encode(done.stdout).decode("ascii")

    def verify(self, public_key_path, data, signature_b64):
        try:
            signature = base64.b64decode(signature_b64, validate=True)
        except ValueError:
            return False
        sig_path = self._path("sig")
        with open(sig_path, "wb") as f:
            f.write(signature)
        done = subprocess.run(
            ["openssl", "dgst", "-sha256", "-verify", public_key_path,
             "-signature", sig_path],
            input=data, capture_output=True,
        )
        return done.returncode == 0 and b"Verified OK" in done.stdout


# ---------------------------------------------------------------- merchant endpoint


class Endpoint:
    """The merchant's callback/notification URL: records every request and
    answers with a fixed status and body."""

    def __init__(self, status, body):
        self.received = []
        self.arrived = threading.Event()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                endpoint.received.append((dict(self.headers.items()), raw))
                endpoint.arrived.set()
                payload = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        host, port = self.server.server_address[:2]
        self.base = f"http://{host}:{port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def header(headers, name):
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


# ---------------------------------------------------------------- SmilePayz


def peru_timestamp(delta_seconds=0):
    """`yyyy-MM-ddTHH:mm:ss-05:00`, second precision (GATEWAYS.md)."""
    now = datetime.datetime.now(PERU) + datetime.timedelta(seconds=delta_seconds)
    return now.replace(microsecond=0).isoformat()


def minified(value):
    """Minified JSON, no insignificant whitespace, UTF-8."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def new_order_no():
    """6-32 ASCII letters/digits."""
    return "PY" + uuid.uuid4().hex[:24]


class SmilePayz:
    def __init__(self, creds, ssl, workdir):
        self.base = creds["baseUrl"].rstrip("/")
        self.merchant_id = creds["merchantId"]
        self.secret = creds["merchantSecret"]
        self.ssl = ssl
        self.private_key = ssl.write_key("merchant_private", creds["merchantPrivateKey"])
        self.platform_key = ssl.write_key("platform_public", creds["platformPublicKey"])
        self.wrong_key = ssl.generate_key("wrong_private")

    def pay_in_body(self, order_no, callback_url=None, amount=20000):
        # Field set from the seed's example body; payer with payer.name is
        # mandatory (GATEWAYS.md, "Create pay-in fields").
        body = {
            "merchant": {"merchantId": self.merchant_id},
            "payer": {
                "idType": "DNI",
                "identity": "48982488880",
                "name": "Carlos Rodriguez Mendoza",
                "phone": "51987654321",
                "email": "carlos@example.com",
            },
            "money": {"amount": amount, "currency": "PEN"},
            "orderNo": order_no,
            "paymentMethod": "CASHIER_PE",
            "purpose": "Payment for online purchase",
            "expiryPeriod": 3600,
            "redirectUrl": "https://www.example.com/success",
        }
        if callback_url is not None:
            body["callbackUrl"] = callback_url
        return minified(body)

    def signature(self, timestamp, body, key=None):
        string_to_sign = timestamp.encode() + b"|" + self.secret.encode() + b"|" + body
        return self.ssl.sign(key or self.private_key, string_to_sign)

    def headers(self, timestamp, signature, partner=None):
        headers = {
            "Content-Type": "application/json",
            "X-TIMESTAMP": timestamp,
            "X-PARTNER-ID": partner if partner is not None else self.merchant_id,
        }
        if signature is not None:
            headers["X-SIGNATURE"] = signature
        return headers

    def post(self, path, body, headers):
        status, response_headers, raw = http("POST", self.base + path, body, headers)
        return status, response_headers, as_json(raw), raw

    def signed_post(self, path, body, timestamp=None):
        timestamp = timestamp or peru_timestamp()
        return self.post(path, body, self.headers(timestamp, self.signature(timestamp, body)))

    def inquiry(self, order_no=None, trade_no=None, trade_type=1, empty_unset=False):
        """tradeType a number or, as the PHP demo sends it, a string; the id
        not used sent as "" when `empty_unset` (the Python and PHP demos)."""
        body = {"tradeType": trade_type}
        if order_no or empty_unset:
            body["orderNo"] = order_no or ""
        if trade_no or empty_unset:
            body["tradeNo"] = trade_no or ""
        return self.signed_post("/v2.0/inquiry-status", minified(body))


def run_smilepayz(creds, ssl, workdir, control):
    sp = SmilePayz(creds, ssl, workdir)
    path = "/v2.0/transaction/pay-in"
    endpoint = Endpoint(200, "SUCCESS")
    try:
        callback_url = endpoint.base + "/smilepayz/callback"

        # 1. A correct pay-in.
        order_no = new_order_no()
        body = sp.pay_in_body(order_no, callback_url)
        status, headers, answer, raw = sp.signed_post(path, body)
        trade_no = answer.get("tradeNo")
        account_no = (answer.get("merchant") or {}).get("accountNo")
        created = check(
            "smilepayz pay-in accepted",
            status == 200 and answer.get("code") == "00" and bool(trade_no),
            f"HTTP {status}: {short(raw)}",
        )
        if created:
            check(
                "smilepayz pay-in answer",
                answer.get("orderNo") == order_no
                and answer.get("status") == "PROCESSING"
                and answer.get("money") == {"amount": 20000, "currency": "PEN"}
                and bool((answer.get("channel") or {}).get("paymentUrl")),
                short(raw),
            )
            check(
                "smilepayz pay-in answer has X-TIMESTAMP",
                bool(header(headers, "X-TIMESTAMP")),
                f"headers: {dict(headers.items())}",
            )

        # 1b. Variations the documents allow must be accepted too.
        def accepted(name, status, answer, raw):
            return check(
                f"smilepayz accepts {name}",
                status == 200 and answer.get("code") == "00" and bool(answer.get("tradeNo")),
                f"HTTP {status}: {short(raw)}",
            )

        minimal = minified({
            "merchant": {"merchantId": sp.merchant_id},
            "money": {"amount": 100, "currency": "PEN"},
            "orderNo": new_order_no(),
            "payer": {"name": "Ana"},
            "paymentMethod": "CASHIER_PE",
            "purpose": "Pedido Ñandú, año 2025",
        })
        accepted("only payer.name, no optionals, UTF-8 purpose",
                 *drop_headers(sp.signed_post(path, minimal)))
        # The Python, PHP, Go and C# demos send unset optionals as "" or
        # null, and fields our documents do not list (area, productDetail,
        # the Go demo's empty merchant.accountNo/bankName).
        demo_shape = minified({
            "orderNo": new_order_no(),
            "purpose": "Purpose For Transaction",
            "productDetail": None,
            "additionalParam": None,
            "money": {"currency": "PEN", "amount": 100},
            "merchant": {"merchantId": sp.merchant_id, "merchantName": "",
                         "subMerchantId": None, "accountNo": "", "bankName": ""},
            "payer": {"name": "test", "idType": None, "identity": "", "email": ""},
            "paymentMethod": "CASHIER_PE",
            "area": 15,
            "expiryPeriod": None,
            "callbackUrl": "",
            "redirectUrl": None,
        })
        accepted("unset optionals as \"\" and null, and extra fields",
                 *drop_headers(sp.signed_post(path, demo_shape)))
        # PHP's json_encode escapes slashes: the signed bytes are the sent bytes.
        escaped = minified({
            "orderNo": new_order_no(), "purpose": "p",
            "money": {"currency": "PEN", "amount": 100},
            "merchant": {"merchantId": sp.merchant_id},
            "payer": {"name": "test", "idType": "DNI", "idNumber": "12345678"},
            "paymentMethod": "CASHIER_PE",
            "redirectUrl": "https://docs.example/ok",
        }).replace(b"/", b"\\/")
        accepted("escaped slashes and payer.idNumber", *drop_headers(sp.signed_post(path, escaped)))
        accepted("a timestamp 4 minutes old",
                 *drop_headers(sp.signed_post(path, sp.pay_in_body(new_order_no()),
                                              peru_timestamp(-240))))
        utc = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        utc_ts = utc.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        accepted("a timestamp with another explicit offset (+00:00)",
                 *drop_headers(sp.signed_post(path, sp.pay_in_body(new_order_no()), utc_ts)))
        accepted("a timestamp in Z (the Java demo)",
                 *drop_headers(sp.signed_post(path, sp.pay_in_body(new_order_no()),
                                              utc.strftime("%Y-%m-%dT%H:%M:%SZ"))))
        bangkok = utc.astimezone(datetime.timezone(datetime.timedelta(hours=7)))
        accepted("a timestamp in +07:00 (the PHP demo)",
                 *drop_headers(sp.signed_post(path, sp.pay_in_body(new_order_no()),
                                              bangkok.isoformat())))

        # 2. Tamperings: each on a fresh order number, so that the tampering
        #    is the only thing wrong with the request.
        def rejected(name, status, answer, raw):
            return check(
                f"smilepayz rejects {name}",
                answer.get("code") not in (None, "00"),
                f"HTTP {status}: {short(raw)}",
            )

        tampered_orders = []

        def fresh():
            number = new_order_no()
            tampered_orders.append(number)
            return number, sp.pay_in_body(number, callback_url)

        # body changed after signing
        number, signed_body = fresh()
        ts = peru_timestamp()
        sig = sp.signature(ts, signed_body)
        changed = signed_body.replace(b'"amount":20000', b'"amount":20001')
        assert changed != signed_body
        status, _, answer, raw = sp.post(path, changed, sp.headers(ts, sig))
        rejected("body changed after signing", status, answer, raw)

        # a timestamp other than the one signed (both within the window)
        number, b = fresh()
        signed_ts = peru_timestamp(-30)
        sig = sp.signature(signed_ts, b)
        status, _, answer, raw = sp.post(path, b, sp.headers(peru_timestamp(), sig))
        rejected("timestamp other than signed", status, answer, raw)

        # signature bytes altered
        number, b = fresh()
        ts = peru_timestamp()
        raw_sig = bytearray(base64.b64decode(sp.signature(ts, b)))
        raw_sig[len(raw_sig) // 2] ^= 0x01
        status, _, answer, raw = sp.post(
            path, b, sp.headers(ts, base64.b64encode(bytes(raw_sig)).decode()))
        rejected("altered signature bytes", status, answer, raw)

        # signed with a key that is not the merchant's
        number, b = fresh()
        ts = peru_timestamp()
        status, _, answer, raw = sp.post(
            path, b, sp.headers(ts, sp.signature(ts, b, key=sp.wrong_key)))
        rejected("signature by a wrong key", status, answer, raw)

        # a timestamp 10 minutes old, correctly signed
        number, b = fresh()
        status, _, answer, raw = sp.signed_post(path, b, peru_timestamp(-600))
        rejected("timestamp 10 minutes old", status, answer, raw)

        # unknown partner id (signature itself correct)
        number, b = fresh()
        ts = peru_timestamp()
        status, _, answer, raw = sp.post(
            path, b, sp.headers(ts, sp.signature(ts, b), partner="99999"))
        rejected("unknown X-PARTNER-ID", status, answer, raw)

        # no X-SIGNATURE at all
        number, b = fresh()
        status, _, answer, raw = sp.post(path, b, sp.headers(peru_timestamp(), None))
        rejected("missing X-SIGNATURE", status, answer, raw)

        # a timestamp with fractional seconds, or without an offset
        for name, ts in (("fractional seconds", utc.strftime("%Y-%m-%dT%H:%M:%S.123Z")),
                         ("no offset", utc.strftime("%Y-%m-%dT%H:%M:%S"))):
            number, b = fresh()
            rejected(f"X-TIMESTAMP with {name}", *drop_headers(sp.signed_post(path, b, ts)))

        # payer is mandatory, with a name
        for name, payer in (("no payer", None), ("payer without a name", {"email": "a@b.pe"}),
                            ("an empty payer.name", {"name": ""})):
            number = new_order_no()
            tampered_orders.append(number)
            value = json.loads(sp.pay_in_body(number))
            if payer is None:
                del value["payer"]
            else:
                value["payer"] = payer
            rejected(name, *drop_headers(sp.signed_post(path, minified(value))))

        # the accepted order number again, freshly and correctly signed
        if created:
            status, _, answer, raw = sp.signed_post(path, body)
            rejected("duplicate orderNo", status, answer, raw)

        # none of the tampered orders may have been kept
        kept = []
        for number in tampered_orders:
            _, _, answer, _ = sp.inquiry(order_no=number)
            if answer.get("code") == "00":
                kept.append(number)
        check("smilepayz keeps no tampered order", not kept, f"kept: {kept}")

        if not created:
            return

        # 3. Settle through the control API; the callback comes to us.
        status, _, raw = post_json(
            control + "/smilepayz/complete", {"orderNo": order_no, "status": "SUCCESS"})
        answer = as_json(raw)
        check(
            "smilepayz complete delivered",
            status == 200 and answer.get("delivered") is True
            and isinstance(answer.get("attempts"), int) and answer["attempts"] >= 1,
            f"HTTP {status}: {short(raw)}",
        )
        if not check("smilepayz callback received",
                     endpoint.arrived.wait(CALLBACK_WAIT) and endpoint.received,
                     "nothing arrived at the callback URL"):
            return
        cb_headers, cb_raw = endpoint.received[0]
        cb = as_json(cb_raw)
        cb_ts = header(cb_headers, "X-TIMESTAMP") or ""
        cb_sig = header(cb_headers, "X-SIGNATURE") or ""
        cb_trade = cb.get("tradeNo") or ""
        check(
            "smilepayz callback signature verifies with the platform key",
            sp.ssl.verify(sp.platform_key, f"{cb_trade}|{cb_ts}".encode(), cb_sig),
            f"X-TIMESTAMP={cb_ts!r} X-SIGNATURE={cb_sig[:24]!r}... body={short(cb_raw)}",
        )
        check(
            "smilepayz callback signature fails for another tradeNo",
            not sp.ssl.verify(sp.platform_key, f"{cb_trade}0|{cb_ts}".encode(), cb_sig),
            "a signature that verifies over anything proves nothing",
        )
        check(
            "smilepayz callback X-TIMESTAMP format",
            is_peru_style_timestamp(cb_ts),
            repr(cb_ts),
        )
        check(
            "smilepayz callback body",
            cb_trade == trade_no and cb.get("orderNo") == order_no
            and cb.get("status") == "SUCCESS"
            and cb.get("merchantId") == sp.merchant_id
            and cb.get("money") == {"amount": 20000, "currency": "PEN"},
            short(cb_raw),
        )

        # 4. Confirm through a signed inquiry-status, as a careful merchant does;
        #    also in the PHP demo's shape ("1", the unused id as "").
        status, _, answer, raw = sp.inquiry(trade_no=trade_no, trade_type="1", empty_unset=True)
        check(
            "smilepayz inquiry-status takes tradeType \"1\" and an empty orderNo",
            answer.get("code") == "00" and answer.get("orderNo") == order_no,
            f"HTTP {status}: {short(raw)}",
        )
        status, _, answer, raw = sp.inquiry(trade_type=1, empty_unset=True)
        check(
            "smilepayz inquiry-status rejects both ids empty",
            answer.get("code") not in (None, "00"),
            f"HTTP {status}: {short(raw)}",
        )
        status, _, answer, raw = sp.inquiry(order_no=order_no, trade_no=trade_no)
        check(
            "smilepayz inquiry-status says SUCCESS",
            answer.get("code") == "00" and answer.get("status") == "SUCCESS"
            and answer.get("tradeNo") == trade_no,
            f"HTTP {status}: {short(raw)}",
        )

        # 5. The balance, in the documented shape: accountInfos with
        #    balanceType, amount {currency, value} and availableBalance, the
        #    value a string of minor units. The paid order is in it.
        status, _, answer, raw = sp.signed_post(
            "/v2.0/inquiry-balance",
            minified({"accountNo": account_no or "", "balanceTypes": ["BALANCE"]}),
        )
        infos = answer.get("accountInfos")
        if isinstance(infos, dict):
            infos = [infos]
        first = (infos or [{}])[0]
        value = (first.get("amount") or {}).get("value")
        check(
            "smilepayz inquiry-balance answers the documented shape",
            status == 200 and answer.get("code") == "00" and bool(account_no)
            and first.get("balanceType") == "BALANCE"
            and isinstance(value, str) and value.isdigit() and int(value) >= 20000
            and (first.get("amount") or {}).get("currency") == "PEN"
            and isinstance((first.get("availableBalance") or {}).get("value"), str),
            f"HTTP {status}: {short(raw)}",
        )
        status, _, answer, raw = sp.signed_post(
            "/v2.0/inquiry-balance",
            minified({"accountNo": "NOSUCHACCOUNT", "balanceTypes": ["BALANCE"]}),
        )
        check(
            "smilepayz inquiry-balance refuses an unknown account",
            answer.get("code") not in (None, "00"),
            f"HTTP {status}: {short(raw)}",
        )
    finally:
        endpoint.close()


def drop_headers(answer):
    """(status, headers, json, raw) -> (status, json, raw)."""
    status, _, value, raw = answer
    return status, value, raw


def is_peru_style_timestamp(value):
    """yyyy-MM-ddTHH:mm:ss±HH:mm, explicit offset, second precision."""
    if len(value) != 25 or value[19] not in "+-":
        return False
    try:
        parsed = datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return False
    return parsed.utcoffset() is not None


# ---------------------------------------------------------------- Monnet

MONNET_CERT_URL = "https://cert.monnetpayments.com/api-payin/v3/online-payments"


def sha512_hex(text):
    return hashlib.sha512(text.encode("utf-8")).hexdigest()


def sha256_hex(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def as_received(value):
    """A notification value as it appeared on the wire: strings as they are,
    numbers in their literal text (parsed with parse_float/parse_int=str)."""
    return value if isinstance(value, str) else ("" if value is None else str(value))


class Monnet:
    def __init__(self, creds):
        self.proxy_url = creds["proxyUrl"]
        self.status_url = creds["statusUrl"]
        self.merchant_id = creds["merchantId"]
        self.key = creds["keyMonnet"]

    def verification(self, body, key=None):
        return sha512_hex(
            body["payinMerchantID"] + body["payinMerchantOperationNumber"]
            + body["payinAmount"] + body["payinCurrency"] + (key or self.key))

    def create_body(self, operation, amount="150.00"):
        """Every field of the seed's sample, in the sample's order, all values
        strings; unset optionals as empty strings (GATEWAYS.md)."""
        today = datetime.datetime.now(PERU).date().isoformat()
        body = {
            "payinMerchantID": self.merchant_id,
            "payinAmount": amount,
            "payinCurrency": "PEN",
            "payinMerchantOperationNumber": operation,
            "payinMethod": "TCTD",
            "payinVerification": "",
            "payinCustomerName": "Carlos",
            "payinCustomerLastName": "Rodriguez",
            "payinCustomerEmail": "carlos@example.com",
            "payinCustomerPhone": "987654321",
            "payinCustomerTypeDocument": "DNI",
            "payinCustomerDocument": "48982488",
            "payinRegularCustomer": "",
            "payinCustomerID": "",
            "payinDiscountCoupon": "",
            "payinLanguage": "ES",
            "payinExpirationTime": "30",
            "payinDateTime": today,
            "payinTransactionOKURL": "https://shop.example/ok",
            "payinTransactionErrorURL": "https://shop.example/error",
            "payinFilterBy": "",
            "payinCustomerAddress": "Av. Larco 123",
            "payinCustomerCity": "Lima",
            "payinCustomerRegion": "Lima",
            "payinCustomerCountry": "Peru",
            "payinCustomerZipCode": "15074",
            "payinCustomerShippingName": "Carlos Rodriguez",
            "payinCustomerShippingPhone": "987654321",
            "payinCustomerShippingAddress": "Av. Larco 123",
            "payinCustomerShippingCity": "Lima",
            "payinCustomerShippingRegion": "Lima",
            "payinCustomerShippingCountry": "Peru",
            "payinCustomerShippingZipCode": "15074",
            "payinProductID": "0",
            "payinProductDescription": "0",
            "payinProductAmount": "0",
            "payinProductSku": "0",
            "payinProductQuantity": "0",
            "URLMonnet": MONNET_CERT_URL,
            "typePost": "json",
            "payinPan": "4517721004856075",
            "payinCvv": "123",
            "payinCardExpiration": "2030-07",
        }
        body["payinVerification"] = self.verification(body)
        return body

    def create(self, body):
        status, _, raw = http(
            "POST", self.proxy_url, json.dumps(body).encode(),
            {"Content-Type": "application/json"})
        return status, as_json(raw), raw

    def status_query(self, operation, authorization=None, start=None, end=None):
        auth = authorization if authorization is not None else sha256_hex(
            self.merchant_id + self.key)
        query = {"payinMerchantOperationNumber": operation}
        if start is not None:
            query["payinStartDate"] = start
        if end is not None:
            query["payinEndDate"] = end
        status, _, raw = http(
            "POST", self.status_url, json.dumps(query).encode(),
            {"Content-Type": "application/json", "authorization": auth})
        return status, as_json(raw), raw


def without_optionals(body):
    """A create without document, address, shipping or coupon: every field
    GATEWAYS.md lets be empty sent as "" ("Which fields may be empty")."""
    body = dict(body)
    for name in ("payinCustomerTypeDocument", "payinCustomerDocument",
                 "payinCustomerAddress", "payinCustomerCity", "payinCustomerRegion",
                 "payinCustomerCountry", "payinCustomerZipCode",
                 "payinCustomerShippingName", "payinCustomerShippingPhone",
                 "payinCustomerShippingAddress", "payinCustomerShippingCity",
                 "payinCustomerShippingRegion", "payinCustomerShippingCountry",
                 "payinCustomerShippingZipCode", "payinDiscountCoupon",
                 "payinRegularCustomer", "payinCustomerID", "payinFilterBy"):
        body[name] = ""
    return body


def new_operation():
    return "PYOP" + uuid.uuid4().hex[:20]


def listed(answer, operation):
    operations = answer.get("operations")
    if not isinstance(operations, list):
        return None
    for item in operations:
        if isinstance(item, dict) and item.get("payinMerchantOperationNumber") == operation:
            return item
    return None


def run_monnet(creds, control):
    mn = Monnet(creds)
    endpoint = Endpoint(200, "")
    try:
        # 1. A correct create.
        operation = new_operation()
        body = mn.create_body(operation)
        status, answer, raw = mn.create(body)
        created = check(
            "monnet create accepted",
            status == 200 and answer.get("payinErrorCode") == "0000" and bool(answer.get("url")),
            f"HTTP {status}: {short(raw)}",
        )

        # 1b. A merchant without coupon, shipping or document.
        status, answer, raw = mn.create(without_optionals(mn.create_body(new_operation())))
        check(
            "monnet accepts every may-be-empty field as \"\"",
            status == 200 and answer.get("payinErrorCode") == "0000",
            f"HTTP {status}: {short(raw)}",
        )
        long_email = mn.create_body(new_operation())
        long_email["payinCustomerEmail"] = "a" * 42 + "@shop.pe"  # 50 characters
        status, answer, raw = mn.create(long_email)
        check(
            "monnet accepts an email of 50 characters",
            status == 200 and answer.get("payinErrorCode") == "0000",
            f"HTTP {status}: {short(raw)}",
        )

        # 2. Tamperings, each on a fresh operation number. Where Monnet
        #    documents a code for the refusal, it must be that code.
        def rejected(name, tampered, code=None):
            status, answer, raw = mn.create(tampered)
            got = answer.get("payinErrorCode")
            return check(
                f"monnet rejects {name}" + (f" with {code}" if code else ""),
                got not in (None, "0000") and (code is None or got == code),
                f"HTTP {status}: {short(raw)}",
            )

        tampered_ops = []

        def fresh():
            op = new_operation()
            tampered_ops.append(op)
            return mn.create_body(op)

        b = fresh()
        b["payinVerification"] = mn.verification(b, key=mn.key + "x")
        rejected("payinVerification made with a wrong key", b, "0010")

        b = fresh()
        b["payinAmount"] = "151.00"  # changed after hashing
        rejected("amount changed after hashing", b, "0010")

        b = fresh()
        b["payinAmount"] = "150.0"
        b["payinVerification"] = mn.verification(b)
        rejected("an amount with one decimal", b, "0015")

        b = fresh()
        b["payinMerchantID"] = mn.merchant_id + "9"
        b["payinVerification"] = mn.verification(b)
        rejected("a wrong payinMerchantID", b, "0009")

        b = fresh()
        b["payinMerchantID"] = ""
        b["payinVerification"] = mn.verification(b)
        rejected("an empty payinMerchantID", b, "0001")

        b = fresh()
        b["payinTransactionOKURL"] = ""
        rejected("an empty payinTransactionOKURL", b, "0007")

        b = fresh()
        b["payinTransactionErrorURL"] = ""
        rejected("an empty payinTransactionErrorURL", b, "0006")

        b = fresh()
        b["payinVerification"] = ""
        rejected("an empty payinVerification", b, "0005")

        b = fresh()
        b["payinCurrency"] = "PE"
        b["payinVerification"] = mn.verification(b)
        rejected("a currency that is not ISO 4217", b, "0017")

        b = fresh()
        b["payinMethod"] = "QR"
        rejected("a payinMethod that is not a card method", b, "0008")

        b = fresh()
        b["payinTransactionErrorURL"] = "http://shop.example/error"
        rejected("an error URL that is not https", b, "0012")

        b = fresh()
        b["payinTransactionOKURL"] = "ftp://shop.example/ok"
        rejected("an OK URL that is not https", b, "0013")

        b = fresh()
        b["payinCustomerTypeDocument"] = "XYZ"
        b["payinCustomerDocument"] = "12345678"
        rejected("a document type Monnet does not know", b, "0022")

        b = fresh()
        b["payinProductID"] = ""
        rejected("an empty payinProductID", b)

        b = fresh()
        b["payinCustomerEmail"] = "a" * 43 + "@shop.pe"  # 51 characters
        rejected("an email of 51 characters", b)

        b = fresh()
        b["payinCustomerName"] = ""
        b["payinVerification"] = mn.verification(b)
        rejected("empty payinCustomerName", b)

        b = fresh()
        del b["payinCustomerZipCode"]
        rejected("a missing field (payinCustomerZipCode)", b)

        if created:
            rejected("duplicate operation number", mn.create_body(operation))

        # none of the tampered operations may have been kept
        kept = []
        for op in tampered_ops:
            _, answer, _ = mn.status_query(op)
            if listed(answer, op) is not None:
                kept.append(op)
        check("monnet keeps no tampered operation", not kept, f"kept: {kept}")

        if not created:
            return

        # 3. Status query; an empty operation number with a date range lists
        #    operations; the start date can't be today.
        today = datetime.datetime.now(PERU).date()
        yesterday = (today - datetime.timedelta(days=1)).isoformat()
        status, answer, raw = mn.status_query("", start=yesterday, end=today.isoformat())
        check(
            "monnet status query lists a date range",
            status == 200 and listed(answer, operation) is not None,
            f"HTTP {status}: {short(raw)}",
        )
        status, answer, raw = mn.status_query("", start=today.isoformat(), end=today.isoformat())
        check(
            "monnet status query rejects a start date of today",
            status >= 400 and answer.get("payinErrorCode") not in (None, "0000"),
            f"HTTP {status}: {short(raw)}",
        )
        status, answer, raw = mn.status_query(operation)
        item = listed(answer, operation)
        check(
            "monnet status query lists the operation",
            status == 200 and item is not None
            and as_received(item.get("payinStateID")) in ("1", "2"),
            f"HTTP {status}: {short(raw)}",
        )
        status, answer, raw = mn.status_query(
            operation, authorization=sha256_hex(mn.merchant_id + mn.key + "x"))
        check(
            "monnet status query rejects a wrong authorization",
            listed(answer, operation) is None
            and (status >= 400 or answer.get("payinErrorCode") not in (None, "0000")),
            f"HTTP {status}: {short(raw)}",
        )

        # 4. Settle with state 5 (Autorizado); the notification comes to us.
        status, _, raw = post_json(control + "/monnet/complete", {
            "payinMerchantOperationNumber": operation,
            "payinStateID": 5,
            "notificationUrl": endpoint.base + "/monnet/notification",
        })
        answer = as_json(raw)
        check(
            "monnet complete delivered",
            status == 200 and answer.get("delivered") is True
            and isinstance(answer.get("attempts"), int) and answer["attempts"] >= 1,
            f"HTTP {status}: {short(raw)}",
        )
        if not check("monnet notification received",
                     endpoint.arrived.wait(CALLBACK_WAIT) and endpoint.received,
                     "nothing arrived at the notification URL"):
            return
        _, n_raw = endpoint.received[0]
        try:
            # numbers kept in their literal text: hash the fields as received
            n = json.loads(n_raw.decode("utf-8"), parse_float=str, parse_int=str)
        except (UnicodeDecodeError, ValueError):
            n = {}
        if not isinstance(n, dict):
            n = {}
        fields = [as_received(n.get(k)) for k in (
            "payinMerchantID", "payinMerchantOperationNumber", "payinAmount", "payinCurrency")]
        expected = sha512_hex("".join(fields) + mn.key)
        received = as_received(n.get("payinVerification")).lower()
        check(
            "monnet notification hash verifies",
            hmac.compare_digest(expected, received),
            f"recomputed {expected[:16]}..., received {received[:16]}...; body={short(n_raw)}",
        )
        check(
            "monnet notification hash fails with another key",
            not hmac.compare_digest(sha512_hex("".join(fields) + mn.key + "x"), received),
            "a hash that matches any key proves nothing",
        )
        check(
            "monnet notification body",
            as_received(n.get("payinStateID")) == "5"
            and fields[0] == mn.merchant_id and fields[1] == operation
            and fields[3] == "PEN"
            and fields[2].replace(",", "") in ("150.00", "150.0", "150"),
            short(n_raw),
        )

        status, answer, raw = mn.status_query(operation)
        item = listed(answer, operation)
        check(
            "monnet status query says state 5",
            item is not None and as_received(item.get("payinStateID")) == "5",
            f"HTTP {status}: {short(raw)}",
        )
    finally:
        endpoint.close()


# ---------------------------------------------------------------- main


def main(argv):
    global VERBOSE
    if "--verbose" in argv:
        VERBOSE = True
        argv = [a for a in argv if a != "--verbose"]
    if len(argv) != 2:
        print("usage: independent_client.py [--verbose] SIMULATOR_BASE_URL", file=sys.stderr)
        return 2
    if shutil.which("openssl") is None:
        print("FAIL setup: the openssl command line is not on PATH", flush=True)
        return 2
    base = argv[1].rstrip("/")
    control = base + "/_simulator"

    status, _, raw = http("GET", control + "/credentials")
    creds = as_json(raw)
    if not check("credentials fetched",
                 status == 200 and "smilepayz" in creds and "monnet" in creds,
                 f"HTTP {status}: {short(raw)}"):
        return 1
    if not check("credentials carry the merchant private key",
                 bool(creds["smilepayz"].get("merchantPrivateKey")),
                 "merchantPrivateKey is null (simulator runs with a user's key)"):
        return 1

    with tempfile.TemporaryDirectory(prefix="pasarela-pyclient-") as workdir:
        ssl = OpenSSL(workdir)
        for name, run in (("smilepayz", lambda: run_smilepayz(
                creds["smilepayz"], ssl, workdir, control)),
                          ("monnet", lambda: run_monnet(creds["monnet"], control))):
            try:
                run()
            except Exception as error:  # report, never hide, an unexpected crash
                check(f"{name} flow ran to the end", False, f"{type(error).__name__}: {error}")

    failed = [name for name, passed in RESULTS if not passed]
    print(f"{len(RESULTS) - len(failed)} passed, {len(failed)} failed", flush=True)
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
