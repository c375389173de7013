//! One load row: what `--load` prints per flow, transport and backend, as a
//! JSON object with its keys in the documented order, or a table line.

use serde_json::json;

/// One printed row.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Row {
    pub(super) op: &'static str,
    pub(super) transport: &'static str,
    pub(super) backend: Option<&'static str>,
    pub(super) n: usize,
    pub(super) pay_ins_per_sec: f64,
    pub(super) p50_ms: f64,
    pub(super) p99_ms: f64,
    pub(super) cpu_ms_per_pay_in: Option<f64>,
    pub(super) peak_rss_mb: Option<f64>,
    pub(super) errors: usize,
    pub(super) ceiling_per_sec: f64,
    pub(super) ledger: &'static str,
}

impl Row {
    /// One JSON object, keys in the documented order.
    pub(super) fn json(&self) -> String {
        let round = |x: f64, places: i32| {
            let scale = 10f64.powi(places);
            (x * scale).round() / scale
        };
        format!(
            "{{\"op\":{},\"transport\":{},\"backend\":{},\"n\":{},\"pay_ins_per_sec\":{},\"p50_ms\":{},\"p99_ms\":{},\"cpu_ms_per_pay_in\":{},\"peak_rss_mb\":{},\"errors\":{},\"ceiling_per_sec\":{},\"ledger\":{}}}",
            json!(self.op),
            json!(self.transport),
            json!(self.backend),
            self.n,
            json!(round(self.pay_ins_per_sec, 1)),
            json!(round(self.p50_ms, 1)),
            json!(round(self.p99_ms, 1)),
            json!(self.cpu_ms_per_pay_in.map(|c| round(c, 3))),
            json!(self.peak_rss_mb.map(|m| round(m, 1))),
            self.errors,
            json!(round(self.ceiling_per_sec, 1)),
            json!(self.ledger),
        )
    }

    pub(super) fn text(&self) -> String {
        let opt =
            |v: Option<f64>, places: usize| v.map_or("-".to_owned(), |v| format!("{v:.places$}"));
        format!(
            "{:<18} {:<8} {:<7} {:>6} {:>9.1} {:>8.1} {:>8.1} {:>8} {:>8} {:>6} {:>9.1} {:>5.2}",
            self.op,
            self.transport,
            self.backend.unwrap_or("-"),
            self.n,
            self.pay_ins_per_sec,
            self.p50_ms,
            self.p99_ms,
            opt(self.cpu_ms_per_pay_in, 3),
            opt(self.peak_rss_mb, 1),
            self.errors,
            self.ceiling_per_sec,
            self.pay_ins_per_sec / self.ceiling_per_sec,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_prints_its_keys_in_the_documented_order() {
        let row = Row {
            op: "load.pay_in",
            transport: "reqwest",
            backend: Some("aws-lc"),
            n: 1000,
            pay_ins_per_sec: 1234.56,
            p50_ms: 400.04,
            p99_ms: 800.0,
            cpu_ms_per_pay_in: Some(1.23456),
            peak_rss_mb: None,
            errors: 0,
            ceiling_per_sec: 2000.0,
            ledger: "none",
        };
        assert_eq!(
            row.json(),
            r#"{"op":"load.pay_in","transport":"reqwest","backend":"aws-lc","n":1000,"pay_ins_per_sec":1234.6,"p50_ms":400.0,"p99_ms":800.0,"cpu_ms_per_pay_in":1.235,"peak_rss_mb":null,"errors":0,"ceiling_per_sec":2000.0,"ledger":"none"}"#
        );
    }
}
