//! A name resolver that remembers answers for a short while.
//!
//! ureq resolves the host on every request, even when a pooled connection
//! to it is waiting, and once any deadline is configured it does so in a
//! freshly spawned thread (so that a hung lookup can be abandoned). On a
//! loopback call that thread costs more than the whole HTTP exchange. This
//! resolver keeps each answer for [`TTL`], so a thread is spawned at most
//! once per host and TTL; lookups still honour the configured timeout.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// How long an answer is reused: short enough to follow a gateway's DNS
/// changes, long enough to take lookups off the request path.
pub(crate) const TTL: Duration = Duration::from_secs(30);

/// Caches [`DefaultResolver`]'s answers per scheme and authority.
#[derive(Default)]
pub(crate) struct CachingResolver {
    inner: DefaultResolver,
    cache: Mutex<HashMap<String, (Instant, ResolvedSocketAddrs)>>,
}

impl std::fmt::Debug for CachingResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CachingResolver")
    }
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let key = format!(
            "{}://{}",
            uri.scheme_str().unwrap_or(""),
            uri.authority().map(|a| a.as_str()).unwrap_or("")
        );
        {
            let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((at, addrs)) = cache.get(&key)
                && at.elapsed() < TTL
            {
                return Ok(addrs.clone());
            }
        }
        let addrs = self.inner.resolve(uri, config, timeout)?;
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        // Bounded: the transport talks to a handful of hosts; drop stale
        // entries before adding.
        cache.retain(|_, (at, _)| at.elapsed() < TTL);
        cache.insert(key, (Instant::now(), addrs.clone()));
        Ok(addrs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_cached_per_authority() {
        let resolver = CachingResolver::default();
        let config = ureq::Agent::config_builder().build();
        let uri: Uri = "http://127.0.0.1:9/x".parse().unwrap();
        let first = resolver
            .resolve(&uri, &config, NextTimeout::default())
            .unwrap();
        assert_eq!(first.first().map(|a| a.port()), Some(9));
        assert_eq!(resolver.cache.lock().unwrap().len(), 1);
        let again = resolver
            .resolve(&uri, &config, NextTimeout::default())
            .unwrap();
        assert_eq!(again.len(), first.len());
        let other: Uri = "http://127.0.0.1:10/x".parse().unwrap();
        resolver
            .resolve(&other, &config, NextTimeout::default())
            .unwrap();
        assert_eq!(resolver.cache.lock().unwrap().len(), 2);
    }
}
