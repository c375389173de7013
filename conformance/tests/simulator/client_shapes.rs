//! Replays `conformance/client-shapes/`: one request per official client's
//! shape (Python, Java, Node.js, PHP, Go, C#), signed outside Rust with the
//! TEST ONLY merchant key, each of which the simulator must accept as the
//! gateway does.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use pasarela_simulator::{IN_PROCESS_ORIGIN, ManualClock, Outcome, SimRequest, Simulator};
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::raw;
use super::support::fast_config;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    kind: String,
    client: String,
    path: String,
    partner_id: String,
    x_timestamp: String,
    expect: String,
    #[serde(default)]
    setup_order_no: Option<String>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("client-shapes")
}

fn read(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{}/{name}: {e}", dir.display()))
}

fn cases(gateway: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(root().join(gateway))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn answer(sim: &Simulator, request: &SimRequest, now: OffsetDateTime) -> Value {
    match sim.handle(request, now) {
        Outcome::Reply(r) => serde_json::from_slice(&r.body).unwrap_or(Value::Null),
        other => panic!("expected an answer, got {other:?}"),
    }
}

#[test]
fn every_official_client_shape_is_accepted() {
    let mut clients = BTreeSet::new();
    let mut failures = Vec::new();
    for dir in cases("smilepayz") {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(dir.join("README.md").is_file(), "{name} has no README.md");
        let input: Input = serde_json::from_str(&read(&dir, "input.json"))
            .unwrap_or_else(|e| panic!("{name}/input.json: {e}"));
        assert_eq!(input.kind, "simulator.smilepayz.request", "{name}");
        clients.insert(input.client.clone());
        let body = read(&dir, "body.json");
        let signature = read(&dir, "signature.b64");
        let instant = OffsetDateTime::parse(&input.x_timestamp, &Rfc3339)
            .unwrap_or_else(|e| panic!("{name}: X-TIMESTAMP {}: {e}", input.x_timestamp));
        let sim = Simulator::new(
            fast_config()
                .with_smilepayz_merchant_id(input.partner_id.as_str())
                .with_clock(ManualClock::new(instant)),
        )
        .unwrap();
        let creds = sim.credentials(IN_PROCESS_ORIGIN);
        assert_eq!(
            read(&dir, "string-to-sign.txt"),
            format!(
                "{}|{}|{body}",
                input.x_timestamp, creds.smilepayz.merchant_secret
            ),
            "{name}: string-to-sign.txt is not X-TIMESTAMP|secret|body.json"
        );
        if let Some(order) = &input.setup_order_no {
            let setup = raw::pay_in_body(&input.partner_id, order, 1000);
            let bytes = serde_json::to_vec(&setup).unwrap();
            let request = raw::smilepayz(
                &creds,
                "/v2.0/transaction/pay-in",
                &bytes,
                &input.x_timestamp,
            );
            assert_eq!(
                raw::handle(&sim, &request, instant).status,
                200,
                "{name}: setup"
            );
        }
        let request = SimRequest::new("POST", input.path.as_str(), IN_PROCESS_ORIGIN)
            .with_header("Content-Type", "application/json")
            .with_header("X-TIMESTAMP", input.x_timestamp.as_str())
            .with_header("X-SIGNATURE", signature.as_str())
            .with_header("X-PARTNER-ID", input.partner_id.as_str())
            .with_body(body.as_bytes());
        let got = answer(&sim, &request, instant);
        if got["code"] != input.expect.as_str() {
            failures.push(format!(
                "{name} ({}): expected {}, got {got}",
                input.client, input.expect
            ));
            continue;
        }
        if input.path.ends_with("/pay-in") {
            let sent: Value = serde_json::from_str(&body).unwrap();
            let kept = sim.smilepayz_orders();
            assert_eq!(kept.len(), 1, "{name}");
            assert_eq!(
                kept[0].order_no,
                sent["orderNo"].as_str().unwrap(),
                "{name}"
            );
            // The same bytes again are a duplicate, not a new order.
            assert_eq!(answer(&sim, &request, instant)["code"], "07", "{name}");
        } else {
            assert_eq!(
                got["orderNo"].as_str(),
                input.setup_order_no.as_deref(),
                "{name}"
            );
        }
        // One second past the window, the same request is stale.
        let late = instant + time::Duration::minutes(5) + time::Duration::seconds(1);
        assert_eq!(answer(&sim, &request, late)["code"], "03", "{name}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let expected: BTreeSet<String> = ["C#", "Go", "Java", "Node.js", "PHP", "Python"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(clients, expected, "one case per official client at least");
}

#[test]
fn a_client_shape_with_one_byte_changed_is_refused() {
    // The replay is not vacuous: the same files with the body altered after
    // signing fail the signature check.
    let dir = root().join("smilepayz/php-pay-in");
    let input: Input = serde_json::from_str(&read(&dir, "input.json")).unwrap();
    let instant = OffsetDateTime::parse(&input.x_timestamp, &Rfc3339).unwrap();
    let sim = Simulator::new(
        fast_config()
            .with_smilepayz_merchant_id(input.partner_id.as_str())
            .with_clock(ManualClock::new(instant)),
    )
    .unwrap();
    // Unescaping the slashes gives the same JSON value but other bytes.
    let body = read(&dir, "body.json").replace("\\/", "/");
    let request = SimRequest::new("POST", input.path.as_str(), IN_PROCESS_ORIGIN)
        .with_header("Content-Type", "application/json")
        .with_header("X-TIMESTAMP", input.x_timestamp.as_str())
        .with_header("X-SIGNATURE", read(&dir, "signature.b64").as_str())
        .with_header("X-PARTNER-ID", input.partner_id.as_str())
        .with_body(body.as_bytes());
    assert_eq!(answer(&sim, &request, instant)["code"], "04");
}
