//! Error triggers: magic amounts that make the simulator answer as a gateway
//! does in bad cases. They act on creates only, after every other check
//! passed (headers, signature or hash, body, duplicates).

/// A bad case the simulator can be asked to play.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// The payment is declined.
    Decline,
    /// The payment is expired already.
    Expire,
    /// The gateway answers an error code.
    GatewayError,
    /// The gateway answers HTTP 500.
    ServerError,
    /// The gateway answers only after the slow delay.
    Slow,
    /// The gateway reads the request, acts on it, and closes the connection
    /// without answering.
    Drop,
}

const TABLE: [(u64, &str, Trigger); 6] = [
    (40001, "400.01", Trigger::Decline),
    (40002, "400.02", Trigger::Expire),
    (40003, "400.03", Trigger::GatewayError),
    (40004, "400.04", Trigger::ServerError),
    (40005, "400.05", Trigger::Slow),
    (40006, "400.06", Trigger::Drop),
];

/// The trigger of a SmilePayz `money.amount` (céntimos), if any.
pub fn smilepayz_trigger(amount: u64) -> Option<Trigger> {
    TABLE
        .iter()
        .find(|(a, _, _)| *a == amount)
        .map(|(_, _, t)| *t)
}

/// The trigger of a Monnet `payinAmount` (exact text), if any.
pub fn monnet_trigger(amount: &str) -> Option<Trigger> {
    TABLE
        .iter()
        .find(|(_, a, _)| *a == amount)
        .map(|(_, _, t)| *t)
}

/// The trigger table, as printed by `pasarela simulate --help` and written
/// in this crate's README.
pub const TRIGGER_TABLE: &str = "\
Error triggers (magic amounts; any other amount behaves normally; they act on
creates only, after headers, signature/hash, body and duplicates passed):

  trigger             SmilePayz amount   Monnet payinAmount  order kept
  decline             40001 (PEN 400.01) \"400.01\"            yes
  expiry              40002 (PEN 400.02) \"400.02\"            yes
  gateway error code  40003 (PEN 400.03) \"400.03\"            no
  HTTP 500            40004 (PEN 400.04) \"400.04\"            no
  slow answer         40005 (PEN 400.05) \"400.05\"            yes
  dropped connection  40006 (PEN 400.06) \"400.06\"            yes

  decline             SmilePayz: code 00, status FAILED (inquiry remark DECLINED);
                      Monnet: created (0000), state 6 Denegado at once.
  expiry              created as usual but already expired: SmilePayz inquiry
                      status EXPIRED; Monnet state 3 Expirado.
                      (Orders also expire when the clock passes expiryPeriod /
                      payinExpirationTime.)
  gateway error code  SmilePayz code 09 \"System busy\"; Monnet payinErrorCode 0099
                      (Monnet's documented internal error).
  HTTP 500            HTTP 500, text/html body, no gateway JSON.
  slow answer         accepted, answered after the slow delay (40 s by default,
                      --slow-delay-ms); in-process: a Timeout TransportError,
                      Delivery::MaybeSent, at once.
  dropped connection  accepted, then the connection is closed without an answer;
                      in-process: a ConnectionBroken TransportError,
                      Delivery::MaybeSent.
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert_eq!(smilepayz_trigger(40001), Some(Trigger::Decline));
        assert_eq!(smilepayz_trigger(40000), None);
        assert_eq!(monnet_trigger("400.06"), Some(Trigger::Drop));
        assert_eq!(monnet_trigger("400.6"), None);
    }

    #[test]
    fn readme_carries_the_table() {
        let readme = include_str!("../README.md");
        assert!(readme.contains(TRIGGER_TABLE), "README is out of date");
    }
}
