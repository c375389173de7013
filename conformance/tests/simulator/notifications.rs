//! Simulator-side replay of the official Monnet notification examples
//! (`fixtures/monnet/notification*/`, the core replays them through the
//! SDK): the notifications the simulator sends have the fields and JSON
//! shape of the examples the gateway documents (numbers as strings, the
//! reserved `payinStatusError*` fields, `additionalInformation`, nested
//! `errorDetails`), and a hash anyone can recompute over the fields as
//! received, without the SDK.

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;

use serde_json::{Map, Value, json};

use super::raw;
use super::support::*;

/// The fields the docs list for every notification.
const ALWAYS: [&str; 10] = [
    "payinStateID",
    "payinState",
    "payinStatusErrorCode",
    "payinStatusErrorMessage",
    "payinMerchantID",
    "payinAmount",
    "payinCurrency",
    "payinMerchantOperationNumber",
    "payinMethod",
    "payinVerification",
];

/// The decline reason may come at the top level in some versions; the
/// simulator sends the current one, nested in `errorDetails`.
const TOP_LEVEL_REASON: [&str; 2] = ["codeErrorTrx", "messageErrorTrx"];

/// The accepted official examples: (folder name, body).
fn official_examples() -> Vec<(String, Map<String, Value>)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/monnet");
    let mut out = Vec::new();
    for entry in fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let Ok(input) = fs::read_to_string(dir.join("input.json")) else {
            continue;
        };
        let input: Value = serde_json::from_str(&input).unwrap();
        if input["kind"] != "monnet.notification" || input["expect"] != "ok" {
            continue;
        }
        let body: Value =
            serde_json::from_str(&fs::read_to_string(dir.join("body.json")).unwrap()).unwrap();
        out.push((name, body.as_object().unwrap().clone()));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The notification the simulator delivers for a new operation settled in
/// `state`.
fn simulator_notification(state: u32) -> (Map<String, Value>, Vec<u8>, String) {
    let server = server();
    let creds = server.credentials();
    let op = order_no("NT-");
    let created = send(raw::monnet(
        &creds,
        &raw::monnet_body(&creds, &op, "150.00"),
    ));
    assert_eq!(json(&created)["payinErrorCode"], "0000");
    let merchant = MerchantEndpoint::start(&[(200, "")]);
    let answer = post_json(
        &server.base_url(),
        "/_simulator/monnet/complete",
        &json!({"payinMerchantOperationNumber": op, "payinStateID": state, "notificationUrl": merchant.url}),
    );
    assert_eq!(json(&answer)["delivered"], true);
    let seen = merchant.seen();
    let body: Value = serde_json::from_slice(&seen[0].body).unwrap();
    (
        body.as_object().unwrap().clone(),
        seen[0].body.clone(),
        creds.monnet.key_monnet.clone(),
    )
}

#[test]
fn simulator_notifications_have_the_official_examples_shape() {
    let examples = official_examples();
    assert!(
        !examples.is_empty(),
        "no accepted notification fixtures found"
    );
    let (sent, _, _) = simulator_notification(5);
    let keys: BTreeSet<&str> = sent.keys().map(String::as_str).collect();
    for field in ALWAYS {
        assert!(
            sent[field].is_string(),
            "{field} is not a string: {}",
            sent[field]
        );
    }
    for (name, example) in &examples {
        for key in example.keys() {
            if TOP_LEVEL_REASON.contains(&key.as_str()) {
                continue;
            }
            assert!(
                keys.contains(key.as_str()),
                "{name} has `{key}`, the simulator's notification has not"
            );
            let same_kind = matches!(
                (&example[key], &sent[key]),
                (Value::String(_) | Value::Number(_), Value::String(_))
                    | (Value::Array(_), Value::Array(_))
                    | (Value::Object(_), Value::Object(_))
            );
            assert!(
                same_kind,
                "{name}: `{key}` is {} there, {} here",
                example[key], sent[key]
            );
        }
    }
    let details = sent["errorDetails"].as_object().unwrap();
    assert_eq!(details["codeErrorTrx"], "9000");
    assert!(details["messageErrorTrx"].is_string());
    assert!(sent["additionalInformation"].is_array());
    // Reserved, "should not be evaluated": empty.
    assert_eq!(
        (
            sent["payinStatusErrorCode"].as_str(),
            sent["payinStatusErrorMessage"].as_str()
        ),
        (Some(""), Some(""))
    );
}

#[test]
fn a_denial_carries_its_decline_reason_nested() {
    let (sent, _, _) = simulator_notification(6);
    assert_eq!(sent["payinStateID"], "6");
    assert_eq!(sent["payinState"], "Denegado");
    assert_eq!(sent["errorDetails"]["codeErrorTrx"], "9005");
}

#[test]
fn the_hash_recomputes_over_the_fields_as_received() {
    let (sent, bytes, key) = simulator_notification(5);
    // Exactly as received: take the raw text of each field.
    let raw_fields: Map<String, Value> = serde_json::from_slice(&bytes).unwrap();
    let text = |k: &str| raw_fields[k].as_str().unwrap().to_owned();
    let expected = raw::sha512_hex(&format!(
        "{}{}{}{}{key}",
        text("payinMerchantID"),
        text("payinMerchantOperationNumber"),
        text("payinAmount"),
        text("payinCurrency")
    ));
    assert_eq!(sent["payinVerification"], expected.as_str());
    // And the official examples: their hash.txt is what they carry, and the
    // ones that carry one recompute from string-to-hash.txt.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/monnet");
    for (name, example) in official_examples() {
        let dir = root.join(&name);
        let carried = example["payinVerification"].as_str().unwrap_or("");
        if carried.is_empty() {
            continue; // an empty hash is unverified, never valid
        }
        let string = fs::read_to_string(dir.join("string-to-hash.txt")).unwrap();
        assert!(
            raw::sha512_hex(&string).eq_ignore_ascii_case(carried),
            "{name}: payinVerification is not the SHA-512 of string-to-hash.txt"
        );
    }
}
