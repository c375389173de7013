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
    assert!(out.contains("summary: all 13 steps passed"), "{out}");
    assert!(out.contains("************6075"), "card masked: {out}");
    assert!(
        !out.contains("4517721004856075") && !stderr(&o).contains("4517721004856075"),
        "PAN never printed"
    );
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
