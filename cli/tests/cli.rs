//! The `pasarela` command line, tested as the public interface it is.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/testdata/keys");
const PINNED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../core/testdata/openssl-signature"
);

fn pasarela(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pasarela"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    let out = stdout(o);
    assert_eq!(out.lines().count(), 1, "one JSON object on one line: {out}");
    serde_json::from_str(&out).unwrap()
}

/// A scratch directory unique to this test process and call.
fn scratch() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "pasarela-cli-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_str().unwrap().to_owned()
}

fn key(name: &str) -> String {
    format!("{KEYS}/{name}")
}

fn assert_one_line_failure(o: &Output, code: i32, needle: &str) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout: {} stderr: {}",
        stdout(o),
        stderr(o)
    );
    let err = stderr(o);
    assert_eq!(err.trim_end().lines().count(), 1, "one-line reason: {err}");
    assert!(err.contains(needle), "{err}");
}

/// The pinned OpenSSL signature is over `timestamp|secret|body`; split it
/// back and let the CLI sign the same body: the bytes must agree.
#[test]
fn sign_matches_openssl_for_every_key_form() {
    let pinned = std::fs::read_to_string(format!("{PINNED}/string-to-sign.txt")).unwrap();
    let mut parts = pinned.splitn(3, '|');
    let (ts, secret, body) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let expected = std::fs::read_to_string(format!("{PINNED}/signature.b64")).unwrap();
    let dir = scratch();
    let body_file = write(&dir, "body.json", body);
    for form in [
        "merchant_private_pkcs8.pem",
        "merchant_private_pkcs1.pem",
        "merchant_private_pkcs8.b64",
    ] {
        let o = pasarela(&[
            "smilepayz",
            "sign",
            "--private-key",
            &key(form),
            "--merchant-secret",
            secret,
            "--timestamp",
            ts,
            "--body",
            &body_file,
            "--json",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let v = json(&o);
        assert_eq!(v["signature"], expected.trim(), "{form}");
        assert_eq!(v["stringToSign"], pinned);
        assert!(v.get("body").is_none(), "body only with --minify");
    }
}

#[test]
fn sign_signs_bytes_as_given_and_minify_strips_whitespace_only() {
    let dir = scratch();
    let pretty = "{\n  \"orderNo\": \"ORDER 1\",\n  \"money\": {\"amount\": 100, \"currency\": \"PEN\"},\n  \"purpose\": \"caf\\u00e9\"\n}\n";
    let body = write(&dir, "body.json", pretty);
    let base = [
        "smilepayz",
        "sign",
        "--private-key",
        &key("merchant_private_pkcs8.pem"),
        "--merchant-secret",
        "S",
        "--timestamp",
        "2020-12-17T10:55:00-05:00",
        "--body",
        &body,
        "--json",
    ];
    let as_is = json(&pasarela(&base));
    assert_eq!(
        as_is["stringToSign"],
        format!("2020-12-17T10:55:00-05:00|S|{pretty}")
    );
    let mut with_minify = base.to_vec();
    with_minify.push("--minify");
    let minified = json(&pasarela(&with_minify));
    let expected_body =
        r#"{"orderNo":"ORDER 1","money":{"amount":100,"currency":"PEN"},"purpose":"caf\u00e9"}"#;
    assert_eq!(minified["body"], expected_body);
    assert_eq!(
        minified["stringToSign"],
        format!("2020-12-17T10:55:00-05:00|S|{expected_body}")
    );
    assert_ne!(minified["signature"], as_is["signature"]);
    // readable output carries the same values
    let text = stdout(&pasarela(&base[..base.len() - 1]));
    assert!(
        text.contains(as_is["signature"].as_str().unwrap()),
        "{text}"
    );
}

#[test]
fn sign_fails_clearly() {
    let dir = scratch();
    let body = write(&dir, "body.json", "{}");
    let garbage = write(&dir, "garbage.pem", "this is not a key");
    let bad_json = write(&dir, "bad.json", "{\"a\": ");
    let sign = |key: &str, body: &str, ts: &str, extra: &[&str]| {
        let mut args = vec![
            "smilepayz",
            "sign",
            "--private-key",
            key,
            "--merchant-secret",
            "S",
            "--timestamp",
            ts,
            "--body",
            body,
        ];
        args.extend_from_slice(extra);
        pasarela(&args)
    };
    let good_key = key("merchant_private_pkcs8.pem");
    let ts = "2020-12-17T10:55:00-05:00";
    assert_one_line_failure(
        &sign("/nonexistent/key.pem", &body, ts, &[]),
        2,
        "cannot read private key",
    );
    assert_one_line_failure(
        &sign(&good_key, "/nonexistent/body.json", ts, &[]),
        2,
        "cannot read body",
    );
    assert_one_line_failure(&sign(&garbage, &body, ts, &[]), 2, "accepted formats");
    assert_one_line_failure(
        &sign(&key("merchant_public_spki.pem"), &body, ts, &[]),
        2,
        "not an RSA private key",
    );
    assert_one_line_failure(
        &sign(&good_key, &bad_json, ts, &["--minify"]),
        2,
        "not valid JSON",
    );
    assert_one_line_failure(&sign(&good_key, &body, "yesterday", &[]), 2, "--timestamp");
    assert_one_line_failure(
        &pasarela(&["smilepayz", "sign", "--json"]),
        2,
        "required arguments",
    );
    // without --minify, malformed JSON is signed as given (the bytes are what is sent)
    assert!(sign(&good_key, &bad_json, ts, &[]).status.success());
}

fn signed_callback(dir: &Path, ts: &str, trade_no: &str) -> (String, String) {
    let body = format!(
        r#"{{"merchantId":"20001","merchantName":"test","money":{{"amount":20000,"currency":"PEN"}},"orderNo":"2000102900000000000001","status":"SUCCESS","tradeNo":"{trade_no}","transactionTime":"2020-12-17T10:55:00-05:00"}}"#
    );
    // The platform signs `tradeNo|timestamp` (not a request string), so the
    // test plays the platform with the core's signer and the TEST ONLY key.
    let key = pasarela_core::crypto::PrivateKey::load(
        &std::fs::read_to_string(key("platform_private_pkcs8.pem")).unwrap(),
    )
    .unwrap();
    let signer = pasarela_core::crypto::Backend::Rsa.signer(&key).unwrap();
    let sig = pasarela_core::smilepayz::sign_callback(&*signer, trade_no, ts).unwrap();
    (write(dir, "callback.json", body), sig)
}

#[test]
fn verify_callback_valid_and_invalid() {
    let dir = scratch();
    let ts = "2020-12-17T10:55:00-05:00";
    let (body, sig) = signed_callback(&dir, ts, "151200012410241325417215");
    let verify = |public: &str, ts: &str, sig: &str, now: &str, extra: &[&str]| {
        let mut args = vec![
            "smilepayz",
            "verify-callback",
            "--public-key",
            public,
            "--timestamp",
            ts,
            "--signature",
            sig,
            "--body",
            &body,
            "--now",
            now,
            "--json",
        ];
        args.extend_from_slice(extra);
        pasarela(&args)
    };
    for form in [
        "platform_public_spki.pem",
        "platform_public_pkcs1.pem",
        "platform_public_spki.b64",
    ] {
        let ok = verify(&key(form), ts, &sig, "2020-12-17T10:57:00-05:00", &[]);
        assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
        let v = json(&ok);
        assert_eq!(v["valid"], true);
        assert_eq!(v["tradeNo"], "151200012410241325417215");
    }
    let platform = key("platform_public_spki.pem");
    let cases = [
        (
            verify(
                &platform,
                "2020-12-17T10:55:01-05:00",
                &sig,
                "2020-12-17T10:57:00-05:00",
                &[],
            ),
            "signature does not verify",
        ),
        (
            verify(
                &key("merchant_public_spki.pem"),
                ts,
                &sig,
                "2020-12-17T10:57:00-05:00",
                &[],
            ),
            "signature does not verify",
        ),
        (
            verify(&platform, ts, "%%%", "2020-12-17T10:57:00-05:00", &[]),
            "base64",
        ),
        (
            verify(&platform, ts, &sig, "2020-12-17T11:05:00-05:00", &[]),
            "tolerance",
        ),
        (
            verify(&platform, ts, &sig, "2020-12-17T10:45:00-05:00", &[]),
            "tolerance",
        ),
        (
            verify(
                &platform,
                "17/12/2020",
                &sig,
                "2020-12-17T10:57:00-05:00",
                &[],
            ),
            "malformed timestamp",
        ),
    ];
    for (out, reason) in cases {
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let v = json(&out);
        assert_eq!(v["valid"], false);
        assert!(v["reason"].as_str().unwrap().contains(reason), "{v}");
        assert_eq!(stderr(&out).trim_end().lines().count(), 1);
    }
    // a wider tolerance accepts the late one
    let wide = verify(
        &platform,
        ts,
        &sig,
        "2020-12-17T11:05:00-05:00",
        &["--tolerance-secs", "900"],
    );
    assert_eq!(wide.status.code(), Some(0));
    // usage errors are exit 2, not "invalid"
    let garbage = write(
        &dir,
        "garbage.pem",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    );
    assert_one_line_failure(
        &verify(&garbage, ts, &sig, "2020-12-17T10:57:00-05:00", &[]),
        2,
        "cannot load public key",
    );
    assert_one_line_failure(&verify(&platform, ts, &sig, "soon", &[]), 2, "--now");
}

#[test]
fn monnet_verification_matches_sha512sum() {
    // printf '%s' '4001ORD-000123150.00PENtest-key-monnet' | sha512sum
    let o = pasarela(&[
        "monnet",
        "verification",
        "--merchant-id",
        "4001",
        "--operation-number",
        "ORD-000123",
        "--amount",
        "150.00",
        "--currency",
        "PEN",
        "--key",
        "test-key-monnet",
        "--json",
    ]);
    assert!(o.status.success());
    assert_eq!(
        json(&o)["payinVerification"],
        "82ae4109cc444296ffb17ee2aef5c999f519dbd7ad09a262d0892148668e21b23e8f351ac0dd099d72a3bf072b333ae13b07f779c605e27188a7cbb7e734613e"
    );
}

#[test]
fn monnet_verify_notification_valid_and_invalid() {
    let dir = scratch();
    let hash = pasarela_core::monnet::payin_verification(
        "4001",
        "OP1",
        "150.0",
        "PEN",
        &pasarela_core::MonnetKey::new("K"),
    );
    let body = format!(
        r#"{{"payinStateID":5,"payinState":"Autorizado","payinStatusErrorCode":"","payinStatusErrorMessage":"","payinMerchantID":4001,"payinAmount":150.0,"payinCurrency":"PEN","payinMerchantOperationNumber":"OP1","payinMethod":"TCTD","payinVerification":"{}"}}"#,
        hash.to_uppercase()
    );
    let good = write(&dir, "n.json", &body);
    let o = pasarela(&[
        "monnet",
        "verify-notification",
        "--key",
        "K",
        "--body",
        &good,
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(
        (
            v["valid"].clone(),
            v["payinStateID"].clone(),
            v["payinAmount"].clone()
        ),
        (true.into(), 5.into(), "150.0".into())
    );
    let tampered = write(&dir, "t.json", body.replace("OP1", "OP2"));
    let o = pasarela(&[
        "monnet",
        "verify-notification",
        "--key",
        "K",
        "--body",
        &tampered,
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(json(&o)["reason"], "hash does not match");
    let o = pasarela(&[
        "monnet",
        "verify-notification",
        "--key",
        "other",
        "--body",
        &good,
    ]);
    assert_eq!(o.status.code(), Some(1));
    let garbage = write(&dir, "g.json", "<html>");
    let o = pasarela(&[
        "monnet",
        "verify-notification",
        "--key",
        "K",
        "--body",
        &garbage,
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        json(&o)["reason"]
            .as_str()
            .unwrap()
            .contains("malformed body")
    );
    assert_one_line_failure(
        &pasarela(&[
            "monnet",
            "verify-notification",
            "--key",
            "K",
            "--body",
            "/nonexistent",
        ]),
        2,
        "cannot read body",
    );
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        vec!["--help"],
        vec!["smilepayz", "--help"],
        vec!["smilepayz", "sign", "--help"],
        vec!["smilepayz", "verify-callback", "--help"],
        vec!["monnet", "--help"],
        vec!["monnet", "verification", "--help"],
        vec!["monnet", "verify-notification", "--help"],
        vec!["demo", "--help"],
        vec!["simulate", "--help"],
    ] {
        let o = pasarela(&args);
        assert!(o.status.success(), "{args:?}");
        assert!(stdout(&o).contains("Usage:"), "{args:?}");
    }
    assert_one_line_failure(&pasarela(&["frobnicate"]), 2, "unrecognized subcommand");
}

#[test]
fn demo_passes_on_the_embedded_simulator() {
    let o = pasarela(&["demo"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "stdout: {} stderr: {}",
        stdout(&o),
        stderr(&o)
    );
    let out = stdout(&o);
    assert!(out.contains("summary: all 17 steps passed"), "{out}");
    assert!(out.contains("************6075"), "card masked: {out}");
    // The demo went through a ledger it leaves behind for `ledger list`.
    let db = demo_ledger(&out);
    let list = pasarela(&["ledger", "list", "--db", &db, "--json"]);
    assert_eq!(list.status.code(), Some(0), "{}", stderr(&list));
    let rows: Vec<serde_json::Value> = stdout(&list)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3, "{rows:?}");
    for row in &rows {
        for key in ["gateway", "order", "state", "amount", "currency"] {
            assert!(row.get(key).is_some(), "{key} in {row}");
        }
    }
    let states: Vec<&str> = rows.iter().map(|r| r["state"].as_str().unwrap()).collect();
    assert_eq!(
        states.iter().filter(|s| **s == "paid").count(),
        2,
        "{states:?}"
    );
    assert!(states.contains(&"not_paid"), "{states:?}");
    let _ = std::fs::remove_file(&db);
    assert!(
        !out.contains("4517721004856075") && !stderr(&o).contains("4517721004856075"),
        "PAN never printed"
    );
    // Warnings only by default: nothing to say on stderr.
    assert_eq!(stderr(&o), "", "no log lines without -v");
}

/// The ledger file a demo printed (`the ledger is at PATH`).
fn demo_ledger(out: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix("the ledger is at "))
        .unwrap_or_else(|| panic!("no ledger path in {out}"))
        .trim()
        .to_owned()
}

/// `-v`/`-vv` log through `tracing` to stderr (RUST_LOG unset), stdout is
/// unchanged, and no log line carries a secret, key, card or payer datum.
#[test]
fn verbose_logs_steps_to_stderr_and_never_a_secret() {
    let o = Command::new(env!("CARGO_BIN_EXE_pasarela"))
        .args(["-vv", "demo"])
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert!(stdout(&o).contains("summary: all 17 steps passed"));
    let log = stderr(&o);
    assert!(log.contains("demo step passed"), "{log}");
    assert!(log.lines().all(|l| l.contains("pasarela")), "{log}");
    for secret in [
        "TEST-ONLY-simulator-secret",
        "TEST-ONLY-simulator-key-monnet",
        "PRIVATE KEY",
        "4517721004856075",
        "Rosa",
        "Quispe",
        "rosa@example.com",
        "987654321",
        "44556677",
    ] {
        assert!(!log.contains(secret), "{secret} in the log: {log}");
    }
    // The flag goes after the subcommand too; RUST_LOG wins over it.
    let o = Command::new(env!("CARGO_BIN_EXE_pasarela"))
        .args(["simulate", "--help", "-v"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

/// A running `pasarela simulate`, killed on drop.
struct Simulate(std::process::Child);

impl Drop for Simulate {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_simulate(extra: &[&str]) -> (Simulate, serde_json::Value) {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_pasarela"))
        .args(["simulate", "--addr", "127.0.0.1:0", "--json"])
        .args(extra)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let guard = Simulate(child);
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap();
    (guard, serde_json::from_str(&line).unwrap())
}

#[test]
fn demo_passes_against_a_separately_started_simulate() {
    let (_sim, start) = start_simulate(&[]);
    for key in ["addr", "smilepayz", "monnet"] {
        assert!(start.get(key).is_some(), "start-up line has {key}: {start}");
    }
    for key in [
        "baseUrl",
        "merchantId",
        "merchantSecret",
        "merchantPrivateKey",
        "platformPublicKey",
    ] {
        assert!(
            start["smilepayz"].get(key).is_some(),
            "smilepayz.{key}: {start}"
        );
    }
    for key in ["proxyUrl", "statusUrl", "merchantId", "keyMonnet"] {
        assert!(start["monnet"].get(key).is_some(), "monnet.{key}: {start}");
    }
    let url = format!("http://{}", start["addr"].as_str().unwrap());
    let o = pasarela(&["demo", "--simulator-url", &url]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "stdout: {} stderr: {}",
        stdout(&o),
        stderr(&o)
    );
    assert!(stdout(&o).contains(&format!("using the simulator at {url}")));
    // and a second run against the same simulator (fresh order numbers)
    assert_eq!(
        pasarela(&["demo", "--simulator-url", &url]).status.code(),
        Some(0)
    );
}

#[test]
fn demo_fails_with_the_failing_step_when_the_simulator_is_unreachable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let o = pasarela(&[
        "demo",
        "--simulator-url",
        &format!("http://127.0.0.1:{port}"),
    ]);
    assert_one_line_failure(&o, 1, "demo step 2 (test credentials) failed");
}

#[test]
fn simulate_help_has_the_trigger_table() {
    let o = pasarela(&["simulate", "--help"]);
    assert!(o.status.success());
    let out = stdout(&o);
    for needle in [
        "40001",
        "400.06",
        "dropped connection",
        "HTTP 500",
        "--smilepayz-merchant-public-key",
    ] {
        assert!(out.contains(needle), "{needle}: {out}");
    }
    assert_one_line_failure(
        &pasarela(&["simulate", "--addr", "not-an-address"]),
        2,
        "addr",
    );
}

/// What `pasarela bench` measures, in its order: each baseline right before
/// the operation it is the baseline of.
const BENCH_OPS: &[(&str, Option<&str>)] = &[
    ("rsa.sign", Some("rsa")),
    ("smilepayz.prepare_pay_in", Some("rsa")),
    ("rsa.sign", Some("aws-lc")),
    ("smilepayz.prepare_pay_in", Some("aws-lc")),
    // The same on two threads sharing one config (`"threads": 2`).
    ("smilepayz.prepare_pay_in", Some("aws-lc")),
    ("rsa.verify", Some("rsa")),
    ("smilepayz.verify_callback", Some("rsa")),
    ("rsa.verify", Some("aws-lc")),
    ("smilepayz.verify_callback", Some("aws-lc")),
    ("smilepayz.parse_pay_in_response", None),
    ("monnet.baseline_to_vec_sha512", None),
    ("monnet.prepare_create", None),
    ("monnet.verify_notification", None),
    ("monnet.parse_create_response", None),
    ("keys.load_private_pem", None),
    ("keys.load_private_base64", None),
    ("ureq.baseline_post", None),
    ("ureq.baseline_post_with_timeouts", None),
    ("ureq.transport_send", None),
    ("reqwest.baseline_post", None),
    ("reqwest.transport_send", None),
];

#[test]
fn bench_json_is_one_object_per_operation_and_line() {
    let o = pasarela(&["bench", "--json", "--quick", "--duration-ms", "2"]);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| {
            assert!(
                l.starts_with(r#"{"op":""#),
                "keys in the contract's order: {l}"
            );
            serde_json::from_str(l).unwrap()
        })
        .collect();
    let seen: Vec<(String, Option<String>)> = lines
        .iter()
        .map(|v| {
            let obj = v.as_object().unwrap();
            // `threads` only where more than one thread was measured.
            match obj.get("threads") {
                Some(n) => assert_eq!((obj.len(), n.as_u64()), (4, Some(2)), "{v}"),
                None => assert_eq!(obj.len(), 3, "{v}"),
            }
            let rate = obj["ops_per_sec"].as_f64().unwrap();
            assert!(rate.is_finite() && rate > 0.0, "{v}");
            (
                obj["op"].as_str().unwrap().to_owned(),
                obj["backend"].as_str().map(str::to_owned),
            )
        })
        .collect();
    let expected: Vec<(String, Option<String>)> = BENCH_OPS
        .iter()
        .map(|(op, b)| ((*op).to_owned(), b.map(str::to_owned)))
        .collect();
    assert_eq!(seen, expected);
    for (op, _) in &seen {
        let (gateway, operation) = op.split_once('.').unwrap();
        assert!(!gateway.is_empty() && !operation.is_empty(), "{op}");
    }
    // A debug build warns on stderr, in one line; a release build says nothing.
    let err = stderr(&o);
    if cfg!(debug_assertions) {
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("optimizations"), "{err}");
    } else {
        assert!(err.is_empty(), "{err}");
    }
}

#[test]
fn bench_table_has_a_row_per_operation() {
    let o = pasarela(&["bench", "--quick", "--duration-ms", "1"]);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    let out = stdout(&o);
    let mut rows = out.lines();
    let header = rows.next().unwrap();
    assert!(
        header.contains("operation") && header.contains("ops/s"),
        "{header}"
    );
    let rows: Vec<&str> = rows.collect();
    assert_eq!(rows.len(), BENCH_OPS.len(), "{out}");
    for (row, (op, backend)) in rows.iter().zip(BENCH_OPS) {
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cells[0], *op, "{row}");
        assert_eq!(cells[1], backend.unwrap_or("-"), "{row}");
        assert!(cells[2].parse::<f64>().unwrap() > 0.0, "{row}");
    }
}

/// The load rows' keys, in order.
const LOAD_KEYS: &[&str] = &[
    "op",
    "transport",
    "backend",
    "n",
    "pay_ins_per_sec",
    "p50_ms",
    "p99_ms",
    "cpu_ms_per_pay_in",
    "peak_rss_mb",
    "errors",
    "ceiling_per_sec",
    "ledger",
];

/// CI's smoke test of `bench --load`: every flow, transport and backend has
/// its row, with zero errors (every order created once, every callback
/// recorded once). No timing is asserted.
#[test]
fn bench_load_smoke_every_row_present_with_zero_errors() {
    let o = pasarela(&[
        "bench",
        "--load",
        "50",
        "--json",
        "--quick",
        "--duration-ms",
        "20",
    ]);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    let out = stdout(&o);
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The ceiling's inputs first, as operation rows.
    for (op, backend) in [
        ("rsa.sign", "aws-lc"),
        ("rsa.verify", "aws-lc"),
        ("rsa.sign", "rsa"),
    ] {
        assert!(
            rows.iter().any(|r| r["op"] == op
                && r["backend"] == backend
                && r["ops_per_sec"].as_f64() > Some(0.0)),
            "{op} {backend}: {out}"
        );
    }
    let load: Vec<&serde_json::Value> = rows
        .iter()
        .filter(|r| r["op"].as_str().is_some_and(|op| op.starts_with("load.")))
        .collect();
    let mut combinations = Vec::new();
    for row in &load {
        let keys: Vec<&str> = row
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut sorted_expected = LOAD_KEYS.to_vec();
        sorted_expected.sort_unstable();
        assert_eq!(keys, sorted_expected, "{row}");
        assert_eq!(row["n"], 50, "{row}");
        assert_eq!(row["errors"], 0, "{row}");
        for key in ["pay_ins_per_sec", "p50_ms", "p99_ms", "ceiling_per_sec"] {
            assert!(row[key].as_f64().unwrap() > 0.0, "{key}: {row}");
        }
        combinations.push((
            row["op"].as_str().unwrap().to_owned(),
            row["transport"].as_str().unwrap().to_owned(),
            row["backend"].as_str().map(str::to_owned),
            row["ledger"].as_str().unwrap().to_owned(),
        ));
    }
    let mut expected = Vec::new();
    for (op, backends) in [
        ("load.pay_in", vec![Some("rsa"), Some("aws-lc")]),
        ("load.card_pay_in", vec![None]),
    ] {
        for backend in backends {
            for transport in ["reqwest", "surf", "ureq"] {
                // Without a ledger, then through an SQLite one (with
                // `--db postgres://…`, a PostgreSQL one too); not on surf:
                // the async ledger runs on tokio.
                let ledgers: &[&str] = if transport == "surf" {
                    &["none"]
                } else {
                    &["none", "sqlite"]
                };
                for ledger in ledgers {
                    expected.push((
                        op.to_owned(),
                        transport.to_owned(),
                        backend.map(str::to_owned),
                        (*ledger).to_owned(),
                    ));
                }
            }
        }
    }
    assert_eq!(combinations, expected, "{out}");
    // Keys in the documented order on the line itself.
    let line = out.lines().find(|l| l.contains("\"load.pay_in\"")).unwrap();
    let positions: Vec<usize> = LOAD_KEYS
        .iter()
        .map(|k| line.find(&format!("\"{k}\":")).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{line}");
}

#[test]
fn bench_load_needs_a_positive_size() {
    assert_one_line_failure(&pasarela(&["bench", "--load", "0"]), 2, "--load");
    let o = pasarela(&["bench", "--help"]);
    assert!(stdout(&o).contains("--load"));
    assert!(stdout(&o).contains("ceiling"));
}

#[test]
fn bench_refuses_short_durations_without_quick() {
    assert_one_line_failure(
        &pasarela(&["bench", "--duration-ms", "10"]),
        2,
        "at least 1000",
    );
    let o = pasarela(&["bench", "--help"]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("--duration-ms"));
    assert!(!stdout(&o).contains("--quick"), "--quick is hidden");
}

// ---------------------------------------------------------------------------
// cli-crypto: secrets (flag, file or environment; exactly one; never echoed),
// capped regular-file input, escaped output, what is and is not a callback.
// ---------------------------------------------------------------------------

/// A distinctive TEST ONLY secret that must never come back in any output.
const ECHO_SECRET: &str = "TEST-ONLY-s3cr3t-Qz9w";

/// Runs the CLI with extra environment variables (and none of ours inherited).
fn pasarela_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pasarela"));
    cmd.args(args)
        .env_remove("PASARELA_SMILEPAYZ_MERCHANT_SECRET")
        .env_remove("PASARELA_MONNET_KEY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Runs the CLI, killing it (and failing) if it has not finished in 20 s.
fn pasarela_within_timeout(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pasarela"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("pasarela {args:?} hung");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn assert_no_echo(o: &Output, context: &str) {
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert!(
        !out.contains(ECHO_SECRET) && !err.contains(ECHO_SECRET),
        "{context}: secret echoed: stdout {out} stderr {err}"
    );
    // and no fragment of it either (a truncated echo is still an echo)
    for window in ECHO_SECRET.as_bytes().windows(8) {
        let w = std::str::from_utf8(window).unwrap();
        assert!(!err.contains(w), "{context}: fragment {w:?} in {err}");
    }
}

const MONNET_FIELDS: [&str; 8] = [
    "--merchant-id",
    "4001",
    "--operation-number",
    "ORD-000123",
    "--amount",
    "150.00",
    "--currency",
    "PEN",
];

#[test]
fn secret_is_never_echoed_by_a_mistyped_or_invalid_invocation() {
    let dir = scratch();
    let body = write(&dir, "body.json", "{}");
    let bad_json = write(&dir, "bad.json", "{\"a\": ");
    let secret_file = write(&dir, "secret", ECHO_SECRET);
    let private = key("merchant_private_pkcs8.pem");
    let ts = "2020-12-17T10:55:00-05:00";
    let eq = format!("--key={ECHO_SECRET}");
    let kye_eq = format!("--kye={ECHO_SECRET}");
    let json_eq = format!("--json={ECHO_SECRET}");
    let ms_eq = format!("--merchant-secret={ECHO_SECRET}");
    let dash = format!("-{ECHO_SECRET}");
    let sign = |extra: &[&str]| {
        let mut v = vec![
            "smilepayz",
            "sign",
            "--private-key",
            private.as_str(),
            "--timestamp",
            ts,
            "--body",
            body.as_str(),
        ];
        v.extend_from_slice(extra);
        v.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let monnet = |sub: &str, extra: &[&str]| {
        let mut v = vec!["monnet", sub];
        if sub == "verification" {
            v.extend_from_slice(&MONNET_FIELDS);
        } else {
            v.extend_from_slice(&["--body", body.as_str()]);
        }
        v.extend_from_slice(extra);
        v.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let owned = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    /// Arguments, environment, expected exit code.
    type Case<'a> = (Vec<String>, Vec<(&'a str, &'a str)>, i32);
    let cases: Vec<Case> = vec![
        // clap: a mistyped flag, with and without `=`
        (monnet("verification", &[&kye_eq]), vec![], 2),
        (monnet("verification", &["--kye", ECHO_SECRET]), vec![], 2),
        (monnet("verify-notification", &[&kye_eq]), vec![], 2),
        (sign(&["--merchant-secert", ECHO_SECRET]), vec![], 2),
        (
            sign(&[&format!("--merchant-secert={ECHO_SECRET}")]),
            vec![],
            2,
        ),
        // clap: the secret where a positional, a subcommand or a value goes
        (monnet("verification", &[ECHO_SECRET]), vec![], 2),
        (owned(&["monnet", ECHO_SECRET]), vec![], 2),
        (owned(&[ECHO_SECRET]), vec![], 2),
        (owned(&["smilepayz", ECHO_SECRET, "--key", "x"]), vec![], 2),
        (monnet("verification", &[&json_eq, "--key", "k"]), vec![], 2),
        (
            sign(&["--json", ECHO_SECRET, "--merchant-secret", "s"]),
            vec![],
            2,
        ),
        (
            owned(&[
                "smilepayz",
                "verify-callback",
                "--tolerance-secs",
                ECHO_SECRET,
            ]),
            vec![],
            2,
        ),
        (
            owned(&["smilepayz", "verify-callback", "--now", ECHO_SECRET]),
            vec![],
            2,
        ),
        // clap: twice, or a flag swallowed as a missing value
        (
            monnet("verification", &[&eq, "--key", ECHO_SECRET]),
            vec![],
            2,
        ),
        (
            monnet("verification", &["--key", ECHO_SECRET, "--key"]),
            vec![],
            2,
        ),
        // ours: more than one source, or a secret pasted as a path
        (
            monnet("verification", &["--key", ECHO_SECRET]),
            vec![("PASARELA_MONNET_KEY", ECHO_SECRET)],
            2,
        ),
        (
            monnet(
                "verification",
                &["--key", ECHO_SECRET, "--key-file", &secret_file],
            ),
            vec![],
            2,
        ),
        (
            monnet("verification", &["--key-file", ECHO_SECRET]),
            vec![],
            2,
        ),
        (
            monnet("verify-notification", &["--key-file", ECHO_SECRET]),
            vec![],
            2,
        ),
        (sign(&["--merchant-secret-file", ECHO_SECRET]), vec![], 2),
        (
            sign(&[&ms_eq]),
            vec![("PASARELA_SMILEPAYZ_MERCHANT_SECRET", ECHO_SECRET)],
            2,
        ),
        (
            owned(&[
                "smilepayz",
                "sign",
                "--private-key",
                ECHO_SECRET,
                "--merchant-secret",
                "s",
                "--timestamp",
                ts,
                "--body",
                &body,
            ]),
            vec![],
            2,
        ),
        (
            owned(&[
                "smilepayz",
                "sign",
                "--private-key",
                &private,
                "--merchant-secret",
                "s",
                "--timestamp",
                ts,
                "--body",
                ECHO_SECRET,
            ]),
            vec![],
            2,
        ),
        // ours: other errors while the secret is in play
        (sign(&[&ms_eq, "--minify", "--body", &bad_json]), vec![], 2),
        (
            owned(&[
                "smilepayz",
                "sign",
                "--private-key",
                &key("merchant_public_spki.pem"),
                "--merchant-secret",
                ECHO_SECRET,
                "--timestamp",
                ts,
                "--body",
                &body,
            ]),
            vec![],
            2,
        ),
        (
            monnet("verify-notification", &[]),
            vec![("PASARELA_MONNET_KEY", ECHO_SECRET)],
            1,
        ),
        (
            monnet("verify-notification", &["--key", ECHO_SECRET, "--json"]),
            vec![],
            1,
        ),
        // a secret that starts with `-` is a value, not a flag cluster
        (monnet("verification", &["--key", &dash]), vec![], 0),
    ];
    for (args, env, code) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = pasarela_env(&args, &env);
        let context = format!("{args:?} env {env:?}");
        assert_eq!(
            o.status.code(),
            Some(code),
            "{context}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_no_echo(&o, &context);
        if code != 0 {
            let err = stderr(&o);
            assert_eq!(err.lines().count(), 1, "{context}: one line: {err}");
            assert!(err.starts_with("pasarela: "), "{context}: {err}");
        }
    }
}

#[test]
fn usage_errors_name_the_flag() {
    let o = pasarela(&["monnet", "verification", "--kye=x"]);
    assert_one_line_failure(&o, 2, "unexpected argument --kye");
    let o = pasarela(&["monnet", "verification", "--ke", "x"]);
    assert_one_line_failure(&o, 2, "did you mean --key?");
    let o = pasarela(&["smilepayz", "verify-callback", "--tolerance-secs", "x"]);
    assert_one_line_failure(&o, 2, "invalid value for --tolerance-secs");
    assert!(stderr(&o).contains("see `pasarela smilepayz verify-callback --help`"));
    let mut args = MONNET_FIELDS.to_vec();
    args.splice(0..0, ["monnet", "verification"]);
    args.extend(["--key", "a", "--key", "b"]);
    assert_one_line_failure(&pasarela(&args), 2, "--key is given more than once");
    // a missing subcommand prints the help on stdout, one line on stderr
    let o = pasarela(&["smilepayz"]);
    assert_one_line_failure(&o, 2, "a subcommand is required");
    assert!(stdout(&o).contains("Usage:"));
    assert_one_line_failure(&pasarela(&[]), 2, "a subcommand is required");
}

fn monnet_verification(extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args = vec!["monnet", "verification"];
    args.extend_from_slice(&MONNET_FIELDS);
    args.extend_from_slice(extra);
    args.push("--json");
    pasarela_env(&args, env)
}

#[test]
fn monnet_key_from_flag_file_or_environment() {
    // printf '%s' '4001ORD-000123150.00PENtest-key-monnet' | sha512sum
    const EXPECTED: &str = "82ae4109cc444296ffb17ee2aef5c999f519dbd7ad09a262d0892148668e21b23e8f351ac0dd099d72a3bf072b333ae13b07f779c605e27188a7cbb7e734613e";
    let dir = scratch();
    let file = write(&dir, "key", "test-key-monnet");
    let file_nl = write(&dir, "key-nl", "test-key-monnet\n");
    let file_crlf = write(&dir, "key-crlf", "test-key-monnet\r\n");
    let empty = write(&dir, "empty", "");
    let only_nl = write(&dir, "nl", "\n");
    for (extra, env) in [
        (vec!["--key", "test-key-monnet"], vec![]),
        (vec!["--key-file", file.as_str()], vec![]),
        (vec!["--key-file", file_nl.as_str()], vec![]),
        (vec!["--key-file", file_crlf.as_str()], vec![]),
        (vec![], vec![("PASARELA_MONNET_KEY", "test-key-monnet")]),
        // an empty variable counts as unset
        (
            vec!["--key-file", file.as_str()],
            vec![("PASARELA_MONNET_KEY", "")],
        ),
    ] {
        let o = monnet_verification(&extra, &env);
        assert_eq!(o.status.code(), Some(0), "{extra:?}: {}", stderr(&o));
        assert_eq!(json(&o)["payinVerification"], EXPECTED, "{extra:?} {env:?}");
    }
    // two more newlines are part of the key: only one line break is dropped
    let two = write(&dir, "key-2nl", "test-key-monnet\n\n");
    assert_ne!(
        json(&monnet_verification(&["--key-file", &two], &[]))["payinVerification"],
        EXPECTED
    );
    assert_one_line_failure(
        &monnet_verification(&[], &[]),
        2,
        "KeyMonnet is required: give --key-file FILE, the environment variable PASARELA_MONNET_KEY, or --key",
    );
    assert_one_line_failure(
        &monnet_verification(&["--key-file", &file], &[("PASARELA_MONNET_KEY", "k")]),
        2,
        "KeyMonnet is given more than once (--key-file and PASARELA_MONNET_KEY)",
    );
    assert_one_line_failure(
        &monnet_verification(&["--key", "k", "--key-file", &file], &[]),
        2,
        "(--key and --key-file)",
    );
    for f in [&empty, &only_nl] {
        assert_one_line_failure(
            &monnet_verification(&["--key-file", f], &[]),
            2,
            "KeyMonnet (--key-file) is empty",
        );
    }
    // verify-notification takes the same three sources
    let hash = pasarela_core::monnet::payin_verification(
        "4001",
        "OP1",
        "150.0",
        "PEN",
        &pasarela_core::MonnetKey::new("test-key-monnet"),
    );
    let body = write(
        &dir,
        "n.json",
        format!(
            r#"{{"payinStateID":5,"payinState":"Autorizado","payinMerchantID":4001,"payinAmount":150.0,"payinCurrency":"PEN","payinMerchantOperationNumber":"OP1","payinVerification":"{hash}"}}"#
        ),
    );
    for (extra, env) in [
        (vec!["--key-file", file_nl.as_str()], vec![]),
        (vec![], vec![("PASARELA_MONNET_KEY", "test-key-monnet")]),
    ] {
        let mut args = vec!["monnet", "verify-notification", "--body", &body, "--json"];
        args.extend_from_slice(&extra);
        let o = pasarela_env(&args, &env);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(json(&o)["valid"], true);
        assert_eq!(json(&o)["stateSigned"], false);
    }
}

#[test]
fn merchant_secret_from_flag_file_or_environment() {
    let pinned = std::fs::read_to_string(format!("{PINNED}/string-to-sign.txt")).unwrap();
    let mut parts = pinned.splitn(3, '|');
    let (ts, secret, body) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let expected = std::fs::read_to_string(format!("{PINNED}/signature.b64")).unwrap();
    let dir = scratch();
    let body_file = write(&dir, "body.json", body);
    let secret_file = write(&dir, "secret", format!("{secret}\n"));
    let private = key("merchant_private_pkcs8.pem");
    let sign = |extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec![
            "smilepayz",
            "sign",
            "--private-key",
            &private,
            "--timestamp",
            ts,
            "--body",
            &body_file,
            "--json",
        ];
        args.extend_from_slice(extra);
        pasarela_env(&args, env)
    };
    for (extra, env) in [
        (vec!["--merchant-secret", secret], vec![]),
        (vec!["--merchant-secret-file", secret_file.as_str()], vec![]),
        (vec![], vec![("PASARELA_SMILEPAYZ_MERCHANT_SECRET", secret)]),
    ] {
        let o = sign(&extra, &env);
        assert_eq!(o.status.code(), Some(0), "{extra:?}: {}", stderr(&o));
        assert_eq!(json(&o)["signature"], expected.trim(), "{extra:?} {env:?}");
    }
    assert_one_line_failure(
        &sign(&[], &[]),
        2,
        "the merchant secret is required: give --merchant-secret-file FILE, the environment variable PASARELA_SMILEPAYZ_MERCHANT_SECRET, or --merchant-secret",
    );
    assert_one_line_failure(
        &sign(
            &["--merchant-secret-file", &secret_file],
            &[("PASARELA_SMILEPAYZ_MERCHANT_SECRET", "x")],
        ),
        2,
        "the merchant secret is given more than once (--merchant-secret-file and PASARELA_SMILEPAYZ_MERCHANT_SECRET)",
    );
    assert_one_line_failure(
        &sign(
            &[
                "--merchant-secret",
                "x",
                "--merchant-secret-file",
                &secret_file,
            ],
            &[],
        ),
        2,
        "more than once (--merchant-secret and --merchant-secret-file)",
    );
    let help = stdout(&pasarela(&["smilepayz", "sign", "--help"]));
    assert!(help.contains("--merchant-secret-file"), "{help}");
    assert!(
        help.contains("PASARELA_SMILEPAYZ_MERCHANT_SECRET"),
        "{help}"
    );
    let help = stdout(&pasarela(&["monnet", "verify-notification", "--help"]));
    assert!(help.contains("--key-file") && help.contains("PASARELA_MONNET_KEY"));
}

#[test]
fn input_files_are_capped_regular_files() {
    let dir = scratch();
    let body = write(&dir, "body.json", "{}");
    let big = write(&dir, "big.json", vec![b' '; 1024 * 1024 + 1]);
    let big_key = write(&dir, "big.pem", vec![b'A'; 64 * 1024 + 1]);
    let big_secret = write(&dir, "big-secret", vec![b's'; 4 * 1024 + 1]);
    let fifo = dir.join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status();
    let fifo = fifo.to_str().unwrap().to_owned();
    let private = key("merchant_private_pkcs8.pem");
    let ts = "2020-12-17T10:55:00-05:00";
    let sign = |private: &str, body: &str, extra: &[&str]| {
        let mut args = vec![
            "smilepayz",
            "sign",
            "--private-key",
            private,
            "--timestamp",
            ts,
            "--body",
            body,
        ];
        args.extend_from_slice(extra);
        if !extra.contains(&"--merchant-secret-file") {
            args.extend_from_slice(&["--merchant-secret", "s"]);
        }
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let mut cases: Vec<(Vec<String>, &str)> = vec![
        (
            sign(&private, "/dev/zero", &[]),
            "cannot read body (--body): a regular file is accepted, not a device",
        ),
        (
            sign("/dev/zero", &body, &[]),
            "cannot read private key (--private-key): a regular file is accepted, not a device",
        ),
        (
            sign(&private, &body, &["--merchant-secret-file", "/dev/zero"]),
            "cannot read the merchant secret (--merchant-secret-file): a regular file is accepted, not a device",
        ),
        (
            sign(&private, dir.to_str().unwrap(), &[]),
            "not a directory",
        ),
        (
            sign(&private, &big, &[]),
            "cannot read body (--body): larger than the 1048576-byte limit",
        ),
        (
            sign(&big_key, &body, &[]),
            "cannot read private key (--private-key): larger than the 65536-byte limit",
        ),
        (
            sign(&private, &body, &["--merchant-secret-file", &big_secret]),
            "larger than the 4096-byte limit",
        ),
        (
            vec![
                "monnet".into(),
                "verify-notification".into(),
                "--key-file".into(),
                "/dev/zero".into(),
                "--body".into(),
                body.clone(),
            ],
            "cannot read KeyMonnet (--key-file): a regular file is accepted, not a device",
        ),
        (
            vec![
                "monnet".into(),
                "verify-notification".into(),
                "--key".into(),
                "k".into(),
                "--body".into(),
                "/dev/zero".into(),
            ],
            "cannot read body (--body)",
        ),
        (
            vec![
                "smilepayz".into(),
                "verify-callback".into(),
                "--public-key".into(),
                "/dev/zero".into(),
                "--timestamp".into(),
                ts.into(),
                "--signature".into(),
                "AAAA".into(),
                "--body".into(),
                body.clone(),
            ],
            "cannot read public key (--public-key): a regular file is accepted, not a device",
        ),
    ];
    if made.is_ok_and(|s| s.success()) {
        cases.push((
            sign(&private, &fifo, &[]),
            "cannot read body (--body): a regular file is accepted, not a FIFO (named pipe)",
        ));
        cases.push((
            sign(&fifo, &body, &[]),
            "private key (--private-key): a regular file is accepted, not a FIFO",
        ));
        cases.push((
            sign(&private, &body, &["--merchant-secret-file", &fifo]),
            "not a FIFO",
        ));
    } else {
        eprintln!("mkfifo unavailable: FIFO cases skipped");
    }
    for (args, needle) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = pasarela_within_timeout(&args);
        assert_one_line_failure(&o, 2, needle);
    }
    // a symlink to a regular file is fine
    #[cfg(unix)]
    {
        let link = dir.join("link.json");
        std::os::unix::fs::symlink(&body, &link).unwrap();
        let o = pasarela(
            &sign(&private, link.to_str().unwrap(), &[])
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
}

/// A callback whose unsigned fields try to draw on the terminal.
fn crafted_callback(dir: &Path, trade_no: &str, order_no: &str) -> (String, String) {
    let ts = "2020-12-17T10:55:00-05:00";
    let body = serde_json::json!({
        "merchantId": "20001",
        "merchantName": "test",
        "money": {"amount": 20000, "currency": "PEN"},
        "orderNo": order_no,
        "status": "SUCCESS",
        "tradeNo": trade_no,
        "transactionTime": ts,
    })
    .to_string();
    let key = pasarela_core::crypto::PrivateKey::load(
        &std::fs::read_to_string(key("platform_private_pkcs8.pem")).unwrap(),
    )
    .unwrap();
    let signer = pasarela_core::crypto::Backend::Rsa.signer(&key).unwrap();
    let sig = pasarela_core::smilepayz::sign_callback(&*signer, trade_no, ts).unwrap();
    (write(dir, "crafted.json", body), sig)
}

fn verify_callback_args<'a>(body: &'a str, sig: &'a str, json: bool) -> Vec<&'a str> {
    let mut v = vec![
        "smilepayz",
        "verify-callback",
        "--public-key",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../core/testdata/keys/platform_public_spki.pem"
        ),
        "--timestamp",
        "2020-12-17T10:55:00-05:00",
        "--signature",
        sig,
        "--body",
        body,
        "--now",
        "2020-12-17T10:56:00-05:00",
    ];
    if json {
        v.push("--json");
    }
    v
}

fn assert_terminal_safe(o: &Output) {
    for (name, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
        let text = String::from_utf8(bytes.clone()).unwrap();
        for c in text.chars() {
            assert!(
                c == '\n' || !(c.is_control() || ('\u{202A}'..='\u{202E}').contains(&c)),
                "{name} carries {c:?}: {text}"
            );
        }
    }
}

#[test]
fn text_output_escapes_control_characters_from_unsigned_input() {
    let dir = scratch();
    let order_no =
        "1\nvalid: tradeNo FAKE orderNo PAID status SUCCESS amount 999999.00\r\x1b[2K\u{202E}";
    let (body, sig) = crafted_callback(&dir, "151200012410241325417215", order_no);
    let o = pasarela(&verify_callback_args(&body, &sig, false));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 2, "{out}");
    assert_eq!(
        out.matches("valid:").count(),
        2,
        "the fake is inside line one: {out}"
    );
    assert!(
        out.lines()
            .next()
            .unwrap()
            .starts_with("valid: tradeNo 151200012410241325417215")
    );
    assert!(out.contains(r"orderNo 1\u{a}valid: tradeNo FAKE"), "{out}");
    assert!(out.contains(r"\u{d}\u{1b}[2K\u{202e}"), "{out}");
    assert_terminal_safe(&o);
    // the signed tradeNo is escaped too (the platform key signs what it is given)
    let (body, sig) = crafted_callback(&dir, "15\n\x07valid: x", "2000102900000000000001");
    let o = pasarela(&verify_callback_args(&body, &sig, false));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 2);
    assert_terminal_safe(&o);
    // JSON output keeps the exact values, escaped as JSON
    let o = pasarela(&verify_callback_args(&body, &sig, true));
    assert_eq!(json(&o)["tradeNo"], "15\n\x07valid: x");
    assert_terminal_safe(&o);
    // an invalid body's reason is escaped and on one line, stdout and stderr
    let hostile = write(
        &dir,
        "hostile.json",
        "{\"tradeNo\": 5, \"x\": \"\u{1b}]0;owned\u{7}\n\"}",
    );
    let o = pasarela(&verify_callback_args(&hostile, &sig, false));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o).lines().count(), 1);
    assert_eq!(stderr(&o).lines().count(), 1);
    assert_terminal_safe(&o);
    // Monnet's text output too
    let hash = pasarela_core::monnet::payin_verification(
        "4001",
        "OP1\n\x1b[1Avalid:",
        "150.0",
        "PEN",
        &pasarela_core::MonnetKey::new("K"),
    );
    let n = write(
        &dir,
        "n.json",
        serde_json::json!({
            "payinStateID": 5, "payinState": "Autorizado\r\nvalid: operation X",
            "payinMerchantID": "4001", "payinAmount": "150.0", "payinCurrency": "PEN",
            "payinMerchantOperationNumber": "OP1\n\x1b[1Avalid:", "payinVerification": hash,
        })
        .to_string(),
    );
    let o = pasarela(&["monnet", "verify-notification", "--key", "K", "--body", &n]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 2, "{}", stdout(&o));
    assert_terminal_safe(&o);
}

#[test]
fn verify_callback_json_says_the_body_is_not_signed() {
    let dir = scratch();
    let (body, sig) = crafted_callback(&dir, "151200012410241325417215", "2000102900000000000001");
    let o = pasarela(&verify_callback_args(&body, &sig, true));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["valid"], true);
    assert_eq!(v["bodySigned"], false);
    assert_eq!(v["tradeNo"], "151200012410241325417215");
    let text = stdout(&pasarela(&verify_callback_args(&body, &sig, false)));
    assert!(text.contains("bodySigned: false"), "{text}");
    assert!(text.contains("unsigned claims"), "{text}");
}

#[test]
fn a_json_array_or_other_non_object_is_not_a_callback() {
    let dir = scratch();
    let (_, sig) = crafted_callback(&dir, "151200012410241325417215", "2000102900000000000001");
    // serde reads a struct from an array field by field, in order: refused
    let array = r#"["20001","test",null,null,null,"2000102900000000000001","151200012410241325417215","2020-12-17T10:55:00-05:00","SUCCESS",{"amount":20000,"currency":"PEN"},null]"#;
    for (body, kind) in [
        (array, "an array"),
        ("[]", "an array"),
        ("\"151200012410241325417215\"", "a string"),
        ("42", "a number"),
        ("true", "a boolean"),
        ("null", "null"),
    ] {
        let file = write(&dir, "not-object.json", body);
        let o = pasarela(&verify_callback_args(&file, &sig, true));
        assert_eq!(o.status.code(), Some(1), "{body}: {}", stderr(&o));
        let v = json(&o);
        assert_eq!(v["valid"], false);
        assert_eq!(
            v["reason"],
            format!("malformed body: the callback must be a JSON object, not {kind}")
        );
        assert_eq!(stderr(&o).lines().count(), 1);
        let o = pasarela(&[
            "monnet",
            "verify-notification",
            "--key",
            "K",
            "--body",
            &file,
            "--json",
        ]);
        assert_eq!(o.status.code(), Some(1), "{body}");
        assert!(
            json(&o)["reason"]
                .as_str()
                .unwrap()
                .contains("must be a JSON object")
        );
    }
}

#[test]
fn monnet_empty_or_missing_payin_verification_is_invalid() {
    let dir = scratch();
    let base = serde_json::json!({
        "payinStateID": 5, "payinState": "Autorizado", "payinMerchantID": 4001,
        "payinAmount": 150.0, "payinCurrency": "PEN", "payinMerchantOperationNumber": "OP1",
    });
    for (verification, reason) in [
        (Some(serde_json::json!("")), "payinVerification is empty"),
        (Some(serde_json::json!("   ")), "payinVerification is empty"),
        (
            Some(serde_json::Value::Null),
            "payinVerification is missing",
        ),
        (None, "payinVerification is missing"),
    ] {
        let mut body = base.clone();
        if let Some(v) = verification {
            body["payinVerification"] = v;
        }
        let file = write(&dir, "n.json", body.to_string());
        for json_flag in [true, false] {
            let mut args = vec![
                "monnet",
                "verify-notification",
                "--key",
                "K",
                "--body",
                &file,
            ];
            if json_flag {
                args.push("--json");
            }
            let o = pasarela(&args);
            assert_eq!(o.status.code(), Some(1), "{body}");
            assert!(stderr(&o).contains(reason), "{}", stderr(&o));
            assert_eq!(stderr(&o).lines().count(), 1);
            if json_flag {
                let v = json(&o);
                assert_eq!(v["valid"], false);
                assert!(v["reason"].as_str().unwrap().contains("unverified"), "{v}");
            }
        }
    }
}

#[test]
fn keys_of_other_kinds_are_named_and_rsa_8192_verifies() {
    let dir = scratch();
    let body = write(&dir, "body.json", "{}");
    for (file, needle) in [
        ("ec_p256_private_pkcs8.pem", "found an EC private key"),
        (
            "ec_p256_private_sec1.pem",
            "found an EC private key (PEM, SEC1)",
        ),
        ("ed25519_private_pkcs8.pem", "found an Ed25519 private key"),
        ("dsa_private_pkcs8.pem", "found a DSA private key"),
        (
            "merchant_private_encrypted_pkcs8.pem",
            "found an encrypted PKCS#8 private key",
        ),
        ("merchant_certificate.pem", "found an X.509 certificate"),
    ] {
        let o = pasarela(&[
            "smilepayz",
            "sign",
            "--private-key",
            &key(file),
            "--merchant-secret",
            "s",
            "--timestamp",
            "2020-12-17T10:55:00-05:00",
            "--body",
            &body,
        ]);
        assert_one_line_failure(&o, 2, needle);
        assert!(stderr(&o).contains("accepted formats: RSA private keys"));
    }
    // an 8192-bit platform key verifies (OpenSSL made the signature)
    let sig = std::fs::read_to_string(key("rsa8192_callback_signature.b64")).unwrap();
    let cb = write(
        &dir,
        "cb.json",
        r#"{"merchantId":"20001","merchantName":"test","money":{"amount":20000,"currency":"PEN"},"orderNo":"2000102900000000000001","status":"SUCCESS","tradeNo":"151200012410241325417215","transactionTime":"2020-12-17T10:55:00-05:00"}"#,
    );
    let o = pasarela(&[
        "smilepayz",
        "verify-callback",
        "--public-key",
        &key("rsa8192_public_spki.pem"),
        "--timestamp",
        "2020-12-17T10:55:00-05:00",
        "--signature",
        sig.trim(),
        "--body",
        &cb,
        "--now",
        "2020-12-17T10:56:00-05:00",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(json(&o)["valid"], true);
}

/// `ledger migrate | list | show` on one database: the demo's payments.
fn ledger_commands_on(db: &str) {
    let migrate = pasarela(&["ledger", "migrate", "--db", db, "--json"]);
    assert_eq!(migrate.status.code(), Some(0), "{}", stderr(&migrate));
    assert_eq!(json(&migrate)["schemaVersion"], 2);
    // Empty.
    let empty = pasarela(&["ledger", "list", "--db", db]);
    assert_eq!(stdout(&empty).trim(), "no payments");
    assert_eq!(
        stdout(&pasarela(&["ledger", "list", "--db", db, "--json"])),
        ""
    );
    // A SmilePayz payment recorded through the library (as a service does).
    let ledger = pasarela_ledger_record(db);
    let list = pasarela(&["ledger", "list", "--db", db, "--json", "--state", "intent"]);
    assert_eq!(list.status.code(), Some(0), "{}", stderr(&list));
    let row: serde_json::Value = serde_json::from_str(stdout(&list).trim()).unwrap();
    assert_eq!(row["gateway"], "smilepayz");
    assert_eq!(row["order"], ledger);
    assert_eq!(row["state"], "intent");
    assert_eq!(row["amount"], 4200);
    assert_eq!(row["currency"], "PEN");
    assert_eq!(
        stdout(&pasarela(&[
            "ledger", "list", "--db", db, "--json", "--state", "paid"
        ])),
        ""
    );
    let show = pasarela(&["ledger", "show", "--db", db, &ledger, "--json"]);
    assert_eq!(show.status.code(), Some(0), "{}", stderr(&show));
    let shown = json(&show);
    assert_eq!(shown["order"], ledger);
    assert_eq!(shown["history"][0]["fact"], "intent_recorded");
    let text = pasarela(&["ledger", "show", "--db", db, &ledger]);
    assert!(
        stdout(&text).contains("intent_recorded"),
        "{}",
        stdout(&text)
    );
    // Errors: one line, the flag named, exit 1 (not found) or 2 (usage).
    assert_one_line_failure(
        &pasarela(&["ledger", "show", "--db", db, "NOPE123"]),
        1,
        "no payment",
    );
    assert_one_line_failure(
        &pasarela(&["ledger", "list", "--db", db, "--state", "paid!"]),
        2,
        "--state",
    );
    assert_one_line_failure(
        &pasarela(&["ledger", "show", "--db", db, &ledger, "--gateway", "stripe"]),
        2,
        "--gateway",
    );
}

/// Records an intent through `pasarela-ledger` itself and returns its order.
fn pasarela_ledger_record(db: &str) -> String {
    // A checkout whose create never leaves (a refused connection): the
    // intent is recorded, nothing else.
    let order = format!("CLI{}", std::process::id());
    let ledger = pasarela_ledger::Ledger::open(db).unwrap();
    let config = pasarela_core::smilepayz::Config::without_signer(
        "20001",
        pasarela_core::MerchantSecret::new("TEST-ONLY-secret"),
        pasarela_core::smilepayz::Environment::Custom("http://127.0.0.1:9".parse().unwrap()),
    )
    .unwrap();
    let client = pasarela_core::client::SmilepayzClient::new(
        config,
        |_r: pasarela_core::PreparedRequest| {
            Err::<pasarela_core::RawResponse, _>(pasarela_core::transport::TransportError::new(
                pasarela_core::transport::TransportErrorKind::Connect,
                pasarela_core::transport::Delivery::NotSent,
                "refused",
            ))
        },
    );
    let request = pasarela_core::smilepayz::PayInRequest::builder(
        pasarela_core::smilepayz::Merchant::of(client.settings().config()),
        order.clone(),
        pasarela_core::Money::pen(4200),
        "cli test",
        pasarela_core::smilepayz::Payer::new("Ana"),
    )
    .build()
    .unwrap();
    let checkout = ledger.checkout(&client, &request).unwrap();
    assert_eq!(checkout.payment.state, pasarela_ledger::State::Intent);
    order
}

#[test]
fn ledger_commands_on_sqlite() {
    let dir = scratch();
    let db = dir.join("ledger.db").display().to_string();
    // Reading a ledger that is not there says so, naming the flag.
    assert_one_line_failure(
        &pasarela(&["ledger", "list", "--db", &db]),
        1,
        "--db: cannot open the ledger",
    );
    ledger_commands_on(&db);
}

#[test]
fn ledger_commands_on_postgres() {
    let Some(server) =
        pasarela_ledger_testkit::PgServer::start_or_skip("ledger_commands_on_postgres")
    else {
        return;
    };
    let db = server.create_database("cli").unwrap();
    ledger_commands_on(&db);
    // A wrong password in the URL is never printed.
    let o = pasarela(&[
        "ledger",
        "list",
        "--db",
        "postgres://postgres:s3cret@127.0.0.1:1/none",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!stderr(&o).contains("s3cret"), "{}", stderr(&o));
}
