//! The response body cap.

use pasarela_core::transport::{Delivery, TransportError, TransportErrorKind};

/// The server's `Content-Length` only sizes the first allocation, capped:
/// a hostile value must not allocate (or overflow) up front.
const MAX_PREALLOC: u64 = 64 * 1024;

/// Collects a response body chunk by chunk, failing as soon as it passes
/// the limit, and checking it against the announced `Content-Length`.
///
/// ```
/// use pasarela_transport_kit::BodyCollector;
/// use pasarela_core::transport::TransportErrorKind;
///
/// let mut body = BodyCollector::new(4, None)?;
/// body.push(b"ab")?;
/// body.push(b"cd")?;
/// assert_eq!(body.finish()?, b"abcd");
///
/// let mut body = BodyCollector::new(4, None)?;
/// let err = body.push(b"abcde").unwrap_err();
/// assert_eq!(err.kind(), TransportErrorKind::BodyTooLarge);
/// # Ok::<(), pasarela_core::transport::TransportError>(())
/// ```
#[derive(Debug)]
pub struct BodyCollector {
    limit: u64,
    expected: Option<u64>,
    out: Vec<u8>,
}

impl BodyCollector {
    /// Starts a body of at most `limit` bytes; `content_length` is what the
    /// response announced, if anything. Fails at once if that is over the
    /// limit.
    pub fn new(limit: u64, content_length: Option<u64>) -> Result<Self, TransportError> {
        if content_length.is_some_and(|n| n > limit) {
            return Err(crate::body_too_large(limit));
        }
        let capacity = content_length.unwrap_or(0).min(limit).min(MAX_PREALLOC);
        Ok(Self {
            limit,
            expected: content_length,
            out: Vec::with_capacity(usize::try_from(capacity).unwrap_or(0)),
        })
    }

    /// Adds a chunk; fails if the body would pass the limit.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), TransportError> {
        if self.out.len() as u64 + chunk.len() as u64 > self.limit {
            return Err(crate::body_too_large(self.limit));
        }
        self.out.extend_from_slice(chunk);
        Ok(())
    }

    /// Bytes collected so far.
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// Whether nothing was collected yet.
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    /// The whole body; fails if it is shorter than its `Content-Length`
    /// (the connection was cut mid-body).
    pub fn finish(self) -> Result<Vec<u8>, TransportError> {
        match self.expected {
            Some(expected) if expected != self.out.len() as u64 => Err(TransportError::new(
                TransportErrorKind::ConnectionBroken,
                Delivery::MaybeSent,
                format!(
                    "connection closed after {} of {expected} body bytes",
                    self.out.len()
                ),
            )),
            _ => Ok(self.out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pasarela_core::transport::TransportFailure;

    #[test]
    fn a_body_at_the_limit_is_accepted_one_more_byte_is_not() {
        let mut b = BodyCollector::new(3, Some(3)).unwrap();
        b.push(b"abc").unwrap();
        assert_eq!(b.finish().unwrap(), b"abc");
        let e = BodyCollector::new(3, Some(4)).unwrap_err();
        assert_eq!(e.kind(), TransportErrorKind::BodyTooLarge);
        assert_eq!(e.delivery(), Delivery::MaybeSent);
        let mut b = BodyCollector::new(3, None).unwrap();
        b.push(b"ab").unwrap();
        assert!(b.push(b"cd").is_err());
    }

    #[test]
    fn a_short_body_is_a_broken_connection() {
        let mut b = BodyCollector::new(100, Some(10)).unwrap();
        b.push(b"01234").unwrap();
        let e = b.finish().unwrap_err();
        assert_eq!(e.kind(), TransportErrorKind::ConnectionBroken);
        assert_eq!(e.delivery(), Delivery::MaybeSent);
    }

    #[test]
    fn a_hostile_content_length_allocates_nothing_up_front() {
        let b = BodyCollector::new(u64::MAX, Some(u64::MAX)).unwrap();
        assert!(b.out.capacity() <= MAX_PREALLOC as usize);
    }
}
