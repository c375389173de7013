//! Error types, one per kind of failure, each saying what to do about it.
//!
//! - [`ValidationError`]: the input broke a rule before a byte was produced.
//!   Names the field and the rule, never the value (it may be card data).
//! - [`PrepareError`]: a `prepare_*` call failed: invalid input or a signer
//!   (HSM, KMS) that could not sign.
//! - [`ParseError`]: the gateway's answer is not what the protocol says.
//!   Keeps the JSON path and the raw body for diagnosis.
//! - [`GatewayRejection`]: the gateway understood and said no (code, message).
//! - [`ResponseError`]: what a `parse_*` call returns: parse or rejection.
//! - [`VerifyError`]: a callback or notification did not verify.
//! - [`KeyError`]: a key could not be loaded.

use std::borrow::Cow;
use std::fmt;

use crate::crypto::SignatureError;
/// The errors of signing and key loading, defined beside the signers
/// ([`crate::crypto`]) and named here with the others.
pub use crate::crypto::{KeyError, SignError};

/// The rule a field broke. Messages never include the offending value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// A required value is missing or empty.
    Required,
    /// Fewer than `min` characters.
    TooShort {
        /// Minimum length in characters.
        min: usize,
    },
    /// More than `max` characters.
    TooLong {
        /// Maximum length in characters.
        max: usize,
    },
    /// A number outside `min..=max`.
    OutOfRange {
        /// Smallest accepted value.
        min: u64,
        /// Largest accepted value.
        max: u64,
    },
    /// The value does not have the required shape; the text says which.
    Format(Cow<'static, str>),
    /// A date is later than allowed.
    DateInFuture,
    /// Two fields contradict each other or a required combination is missing.
    Combination(Cow<'static, str>),
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Required => f.write_str("is required and must not be empty"),
            Rule::TooShort { min } => write!(f, "must be at least {min} characters"),
            Rule::TooLong { max } => write!(f, "must be at most {max} characters"),
            Rule::OutOfRange { min, max } => write!(f, "must be between {min} and {max}"),
            Rule::Format(what) => write!(f, "must be {what}"),
            Rule::DateInFuture => f.write_str("must not be today or later"),
            Rule::Combination(what) => f.write_str(what),
        }
    }
}

/// A request field broke a protocol rule; nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    field: Cow<'static, str>,
    rule: Rule,
}

impl ValidationError {
    /// A field and the rule it broke.
    pub fn new(field: impl Into<Cow<'static, str>>, rule: Rule) -> Self {
        Self {
            field: field.into(),
            rule,
        }
    }

    /// The field as named on the wire, e.g. `money.amount` or `payinCustomerPhone`.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The rule the field broke.
    pub fn rule(&self) -> &Rule {
        &self.rule
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid `{}`: {}", self.field, self.rule)
    }
}

impl std::error::Error for ValidationError {}

/// A call could not be prepared — its input broke a rule, or its signer
/// failed — so nothing was produced and nothing was sent. The clients report
/// it as [`ClientError::Invalid`](crate::client::ClientError::Invalid) or
/// [`ClientError::Sign`](crate::client::ClientError::Sign); the `prepare_*`
/// functions return the narrower error they can actually fail with
/// ([`SignError`] for SmilePayz, [`ValidationError`] for Monnet's status
/// query, none for the rest).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrepareError {
    /// The input broke a protocol rule.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The signer failed.
    #[error(transparent)]
    Sign(#[from] SignError),
}

/// The raw body of a response kept in a [`ParseError`] for diagnosis.
///
/// `Debug` shows the length and at most the first 200 bytes, lossily decoded.
#[derive(Clone, PartialEq, Eq)]
pub struct RawBody(pub Vec<u8>);

impl fmt::Debug for RawBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head = self.0.get(..200).unwrap_or(&self.0);
        write!(
            f,
            "RawBody({} bytes: {:?})",
            self.0.len(),
            String::from_utf8_lossy(head)
        )
    }
}

/// The gateway's answer is not what the protocol says it should be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// A status outside 2xx, with a body that is not a gateway error object.
    #[error("unexpected HTTP status {status}")]
    HttpStatus {
        /// The status code.
        status: u16,
        /// The body as received.
        body: RawBody,
    },
    /// An empty body where JSON was expected.
    #[error("empty response body (HTTP {status})")]
    EmptyBody {
        /// The status code.
        status: u16,
    },
    /// The body is not JSON or a field has the wrong type or is missing.
    #[error("malformed response at `{path}`: {reason}")]
    Json {
        /// JSON path of the failure (`.` for the root).
        path: String,
        /// What was wrong.
        reason: String,
        /// The body as received.
        body: RawBody,
    },
    /// A field is well-typed JSON but its value breaks the protocol
    /// (an unparseable time, a URL that is not a URL).
    #[error("invalid value at `{path}`: {reason}")]
    Value {
        /// JSON path of the field.
        path: String,
        /// What was wrong.
        reason: String,
        /// The body as received.
        body: RawBody,
    },
}

impl ParseError {
    /// The raw body, where one was kept.
    pub fn raw_body(&self) -> Option<&[u8]> {
        match self {
            ParseError::HttpStatus { body, .. }
            | ParseError::Json { body, .. }
            | ParseError::Value { body, .. } => Some(&body.0),
            ParseError::EmptyBody { .. } => None,
        }
    }

    /// The JSON path of the failure, where there is one.
    pub fn path(&self) -> Option<&str> {
        match self {
            ParseError::Json { path, .. } | ParseError::Value { path, .. } => Some(path),
            _ => None,
        }
    }
}

/// The gateway understood the request and refused it.
///
/// `#[non_exhaustive]`: a gateway may say more about a refusal later (a
/// field, a reference) without a breaking change. Read the fields; make one
/// with [`GatewayRejection::new`] (a custom [`Operation`](crate::operation::Operation)'s
/// parser, a test double).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("gateway rejected the request: code {code}: {message}")]
#[non_exhaustive]
pub struct GatewayRejection {
    /// The gateway's code (SmilePayz `code`, Monnet `payinErrorCode`).
    pub code: String,
    /// The gateway's human-readable message.
    pub message: String,
    /// The HTTP status it came with.
    pub http_status: u16,
}

impl GatewayRejection {
    /// A refusal with the gateway's `code` (raw text, as received),
    /// `message` and the HTTP status it came with.
    ///
    /// ```
    /// use pasarela_core::GatewayRejection;
    ///
    /// let r = GatewayRejection::new("0015", "Monto invalido", 400);
    /// assert_eq!((r.code.as_str(), r.message.as_str(), r.http_status), ("0015", "Monto invalido", 400));
    /// assert_eq!(r.to_string(), "gateway rejected the request: code 0015: Monto invalido");
    /// ```
    pub fn new(code: impl Into<String>, message: impl Into<String>, http_status: u16) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            http_status,
        }
    }
}

/// What a `parse_*` call can fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// The response does not follow the protocol.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The gateway refused the request.
    #[error(transparent)]
    Rejected(#[from] GatewayRejection),
}

/// A callback or notification failed verification: do not act on it, and
/// answer it with an error status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A required header is absent.
    #[error("missing header `{0}`")]
    MissingHeader(&'static str),
    /// `X-TIMESTAMP` is not `yyyy-MM-ddTHH:mm:ss±HH:mm`.
    #[error("malformed timestamp header")]
    MalformedTimestamp,
    /// The signature header is not standard base64.
    #[error("signature is not valid base64")]
    BadBase64,
    /// The signature does not verify with the given public key.
    #[error("signature does not verify")]
    SignatureMismatch,
    /// The timestamp is further from `now` than the tolerance allows.
    #[error("timestamp is {skew_secs}s away from now, tolerance is {tolerance_secs}s")]
    TimestampOutsideTolerance {
        /// Signed distance `timestamp - now`, in seconds.
        skew_secs: i64,
        /// The tolerance in force, in seconds.
        tolerance_secs: u64,
    },
    /// The body is not the JSON the protocol describes.
    #[error("malformed body at `{path}`: {reason}")]
    MalformedBody {
        /// JSON path of the failure.
        path: String,
        /// What was wrong.
        reason: String,
    },
    /// A field the hash or signature needs is absent.
    #[error("missing field `{0}`")]
    MissingField(&'static str),
    /// The recomputed hash differs from the one received.
    #[error("hash does not match")]
    HashMismatch,
    /// The hash field is empty or absent (Monnet's own examples send
    /// `"payinVerification": ""`): nothing is authenticated. Never valid.
    #[error("unverified: `{0}` is empty or absent")]
    Unverified(&'static str),
    /// The notification names another merchant than the configured one.
    #[error("`{0}` is not the configured merchant")]
    MerchantMismatch(&'static str),
    /// A field is present but not well formed (an amount that is not a
    /// decimal, a currency that is not three letters, an empty operation
    /// number).
    #[error("invalid `{field}`: {reason}")]
    InvalidField {
        /// The wire name.
        field: &'static str,
        /// The rule broken.
        reason: &'static str,
    },
    /// The verifier could not check the signature (it checks another
    /// algorithm, or a remote verifier is unavailable): neither valid nor
    /// proven forged; answer with a retryable error.
    #[error("signature could not be checked: {0}")]
    VerifierFailed(SignatureError),
}

impl VerifyError {
    /// A short, stable name of the failure for logs and metrics
    /// (`signature_mismatch`, `stale_timestamp`, `malformed_body`, …): never
    /// a value from the request.
    pub fn kind(&self) -> &'static str {
        match self {
            VerifyError::MissingHeader(_) => "missing_header",
            VerifyError::MalformedTimestamp => "malformed_timestamp",
            VerifyError::BadBase64 => "bad_base64",
            VerifyError::SignatureMismatch => "signature_mismatch",
            VerifyError::TimestampOutsideTolerance { .. } => "stale_timestamp",
            VerifyError::MalformedBody { .. } => "malformed_body",
            VerifyError::MissingField(_) => "missing_field",
            VerifyError::HashMismatch => "hash_mismatch",
            VerifyError::Unverified(_) => "unverified",
            VerifyError::MerchantMismatch(_) => "merchant_mismatch",
            VerifyError::InvalidField { .. } => "invalid_field",
            VerifyError::VerifierFailed(_) => "verifier_failed",
        }
    }
}

impl From<SignatureError> for VerifyError {
    /// A wrong or wrong-length signature is [`VerifyError::SignatureMismatch`];
    /// a verifier that could not check is [`VerifyError::VerifierFailed`].
    fn from(e: SignatureError) -> Self {
        use SignatureError as S;
        match e {
            S::Mismatch | S::WrongLength { .. } => VerifyError::SignatureMismatch,
            other => VerifyError::VerifierFailed(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_message_names_field_and_rule() {
        let e = ValidationError::new("money.amount", Rule::OutOfRange { min: 100, max: 999 });
        assert_eq!(
            e.to_string(),
            "invalid `money.amount`: must be between 100 and 999"
        );
        assert_eq!(e.field(), "money.amount");
    }

    #[test]
    fn raw_body_debug_is_bounded() {
        let dbg = format!("{:?}", RawBody(vec![b'a'; 1000]));
        assert!(dbg.starts_with("RawBody(1000 bytes"));
        assert!(dbg.len() < 260);
    }
}
