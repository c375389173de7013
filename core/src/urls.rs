//! URL building shared by both gateways' environments.

use url::Url;

/// `base` with `segments` appended to its path (one `/` between them,
/// however the base path ends), query and fragment dropped. `None` unless
/// `base` is an `http` or `https` URL that can carry a path.
pub(crate) fn join(base: &Url, segments: &[&str]) -> Option<Url> {
    if !matches!(base.scheme(), "http" | "https") {
        return None;
    }
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    {
        let mut path = url.path_segments_mut().ok()?;
        path.pop_if_empty();
        path.extend(segments);
    }
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_under_any_prefix() {
        let j =
            |base: &str| join(&Url::parse(base).unwrap(), &["v2.0", "x"]).map(|u| u.to_string());
        assert_eq!(j("http://h:1").as_deref(), Some("http://h:1/v2.0/x"));
        assert_eq!(j("http://h:1/").as_deref(), Some("http://h:1/v2.0/x"));
        assert_eq!(j("http://h/p/?q=1#f").as_deref(), Some("http://h/p/v2.0/x"));
        assert_eq!(j("https://h/p").as_deref(), Some("https://h/p/v2.0/x"));
        assert_eq!(j("ftp://h/"), None);
        assert_eq!(j("mailto:a@b.pe"), None);
    }
}
