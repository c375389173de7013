//! Request checks and header conversion.

use http::{HeaderMap, HeaderName, HeaderValue};
use pasarela_core::PreparedRequest;
use pasarela_core::transport::TransportError;

/// Checks what every transport refuses before sending: a URL scheme other
/// than `http`/`https`, a URL without a host, and header names or values
/// HTTP forbids (a CR or LF in a value would smuggle a header). Errors are
/// `InvalidRequest`, `NotSent`.
pub fn check_request(request: &PreparedRequest) -> Result<(), TransportError> {
    check_url(request)?;
    for (name, value) in request.headers() {
        check_header(name, value)?;
    }
    Ok(())
}

/// The URL half of [`check_request`].
fn check_url(request: &PreparedRequest) -> Result<(), TransportError> {
    let scheme = request.url().scheme();
    if scheme != "http" && scheme != "https" {
        return Err(crate::invalid_request(format!(
            "unsupported URL scheme {scheme:?}"
        )));
    }
    if request.url().host_str().is_none_or(str::is_empty) {
        return Err(crate::invalid_request("URL has no host"));
    }
    Ok(())
}

/// The gateways' own header names, as static names: `HeaderName::from_bytes`
/// allocates for every name the `http` crate does not know.
const KNOWN_NAMES: [&str; 3] = ["x-timestamp", "x-signature", "x-partner-id"];

fn header_name(name: &str) -> Result<HeaderName, http::header::InvalidHeaderName> {
    match KNOWN_NAMES
        .iter()
        .find(|known| known.eq_ignore_ascii_case(name))
    {
        Some(known) => Ok(HeaderName::from_static(known)),
        None => HeaderName::from_bytes(name.as_bytes()),
    }
}

fn check_header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), TransportError> {
    match (header_name(name), HeaderValue::from_str(value)) {
        (Ok(n), Ok(v)) => Ok((n, v)),
        _ => Err(crate::invalid_request(format!(
            "header {name:?} cannot be sent over HTTP"
        ))),
    }
}

/// The request's headers as an [`http::HeaderMap`], in the order prepared
/// (several values of one name stay in order), after every check of
/// [`check_request`] (done here, each header once: a transport that calls
/// this need not call `check_request` too). Credential headers
/// (`X-SIGNATURE`, `Authorization`) are marked sensitive, so HTTP/2 stacks
/// never index them.
///
/// `user_agent` is added when the request carries no `User-Agent`.
pub fn request_headers(
    request: &PreparedRequest,
    user_agent: Option<&str>,
) -> Result<HeaderMap, TransportError> {
    check_url(request)?;
    let mut map = HeaderMap::with_capacity(request.headers().len() + 1);
    for (name, value) in request.headers() {
        let (name, mut value) = check_header(name, value)?;
        if name == http::header::AUTHORIZATION || name.as_str() == "x-signature" {
            value.set_sensitive(true);
        }
        map.append(name, value);
    }
    if let Some(ua) = user_agent
        && !map.contains_key(http::header::USER_AGENT)
    {
        let value = HeaderValue::from_str(ua).map_err(|_| {
            crate::invalid_request("the configured User-Agent is not a header value")
        })?;
        map.insert(http::header::USER_AGENT, value);
    }
    Ok(map)
}

/// A response's headers as a [`RawResponse`](pasarela_core::RawResponse)
/// keeps them: lower-case names, in order of each name's first occurrence
/// (values of one name together, in order), values as text (bytes that are
/// not UTF-8 replaced).
pub fn response_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = match value.to_str() {
                Ok(text) => text.to_owned(),
                Err(_) => String::from_utf8_lossy(value.as_bytes()).into_owned(),
            };
            (name.as_str().to_owned(), value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pasarela_core::http::Method;
    use pasarela_core::transport::{Delivery, TransportErrorKind, TransportFailure};

    fn req(url: &str, headers: Vec<(String, String)>) -> PreparedRequest {
        PreparedRequest::new(Method::POST, url.parse().unwrap(), headers, b"{}".to_vec())
    }

    #[test]
    fn crlf_and_foreign_schemes_are_refused_before_sending() {
        for r in [
            req(
                "http://127.0.0.1/",
                vec![("X-A".into(), "b\r\nX-Injected: 1".into())],
            ),
            req("http://127.0.0.1/", vec![("Bad Name".into(), "v".into())]),
            req("ftp://127.0.0.1/", vec![]),
        ] {
            let e = check_request(&r).unwrap_err();
            assert_eq!(e.kind(), TransportErrorKind::InvalidRequest);
            assert_eq!(e.delivery(), Delivery::NotSent);
            // request_headers checks the same, so transports may call it alone.
            let e = request_headers(&r, None).unwrap_err();
            assert_eq!(e.kind(), TransportErrorKind::InvalidRequest);
        }
        check_request(&req("https://example.com/", vec![])).unwrap();
    }

    #[test]
    fn request_headers_keep_order_and_mark_credentials() {
        let r = req(
            "http://127.0.0.1/",
            vec![
                ("Content-Type".into(), "application/json".into()),
                ("X-TIMESTAMP".into(), "t".into()),
                ("X-SIGNATURE".into(), "s".into()),
            ],
        );
        let map = request_headers(&r, Some("ua/1")).unwrap();
        let names: Vec<&str> = map.keys().map(|k| k.as_str()).collect();
        assert_eq!(
            names,
            ["content-type", "x-timestamp", "x-signature", "user-agent"]
        );
        assert!(map["x-signature"].is_sensitive());
        // The gateways' names, in any case, are the static names.
        let mixed = req(
            "http://127.0.0.1/",
            vec![
                ("x-Timestamp".into(), "t".into()),
                ("X-Other".into(), "o".into()),
            ],
        );
        let map = request_headers(&mixed, None).unwrap();
        let names: Vec<&str> = map.keys().map(|k| k.as_str()).collect();
        assert_eq!(names, ["x-timestamp", "x-other"]);
        let own = req(
            "http://127.0.0.1/",
            vec![("User-Agent".into(), "mine".into())],
        );
        assert_eq!(
            request_headers(&own, Some("ua/1")).unwrap()["user-agent"],
            "mine"
        );
    }

    #[test]
    fn response_headers_are_lower_case_in_first_occurrence_order() {
        let mut map = HeaderMap::new();
        map.append("X-B", HeaderValue::from_static("1"));
        map.append("set-cookie", HeaderValue::from_static("a"));
        map.append("X-A", HeaderValue::from_static("2"));
        map.append("set-cookie", HeaderValue::from_static("b"));
        let got = response_headers(&map);
        let got: Vec<(&str, &str)> = got.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        assert_eq!(
            got,
            [
                ("x-b", "1"),
                ("set-cookie", "a"),
                ("set-cookie", "b"),
                ("x-a", "2")
            ]
        );
    }
}
