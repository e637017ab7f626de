//! Token cache: one slot per profile and scope set, kept until `expires_in`
//! minus a margin, with at most one refresh at a time per slot (callers that
//! arrive during a refresh wait for it and share its result).

use crate::error::AppResult;
use crate::secrets::Secret;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Seconds before expiry at which a cached token is no longer handed out.
pub fn margin_secs(lifetime_secs: u64) -> u64 {
    if lifetime_secs >= 120 {
        30
    } else {
        lifetime_secs / 2
    }
}

#[derive(Clone)]
struct Cached {
    token: Secret,
    valid_until: Instant,
}

type Slot = Arc<tokio::sync::Mutex<Option<Cached>>>;

/// Tokens by cache key (for example `mp|<scopes>|su`).
#[derive(Default)]
pub struct TokenCache {
    slots: Mutex<HashMap<String, Slot>>,
}

impl TokenCache {
    pub fn new() -> Self {
        Self::default()
    }

    fn slot(&self, key: &str) -> Slot {
        self.slots.lock().expect("token cache poisoned").entry(key.to_owned()).or_default().clone()
    }

    /// The cached token, or the result of `fetch` (which returns the token
    /// and its lifetime in seconds). Only one `fetch` runs per key at a time.
    pub async fn get_or_fetch<F, Fut>(&self, key: &str, fetch: F) -> AppResult<Secret>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = AppResult<(Secret, u64)>>,
    {
        let slot = self.slot(key);
        let mut guard = slot.lock().await;
        if let Some(c) = guard.as_ref() {
            if Instant::now() < c.valid_until {
                return Ok(c.token.clone());
            }
        }
        *guard = None;
        let (token, lifetime) = fetch().await?;
        crate::logging::register_token(token.expose(), Duration::from_secs(lifetime));
        let keep = lifetime.saturating_sub(margin_secs(lifetime));
        *guard = Some(Cached { token: token.clone(), valid_until: Instant::now() + Duration::from_secs(keep) });
        Ok(token)
    }

    /// Forgets the token of `key` if it is `used` (or any token when `used`
    /// is None). A token refreshed meanwhile by someone else is kept, so many
    /// callers that saw the same 401 cause only one refresh.
    pub async fn invalidate(&self, key: &str, used: Option<&Secret>) {
        let slot = self.slot(key);
        let mut guard = slot.lock().await;
        if let Some(c) = guard.as_ref() {
            if used.is_none_or(|u| u == &c.token) {
                *guard = None;
            }
        }
    }

    /// Forgets every token without waiting (refreshes in progress finish and store theirs).
    pub fn clear(&self) {
        let slots: Vec<Slot> = self.slots.lock().expect("token cache poisoned").values().cloned().collect();
        for s in slots {
            if let Ok(mut g) = s.try_lock() {
                *g = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_fetch_under_concurrency() {
        let cache = Arc::new(TokenCache::new());
        let fetches = Arc::new(AtomicU32::new(0));
        let mut tasks = vec![];
        for _ in 0..50 {
            let (cache, fetches) = (cache.clone(), fetches.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_fetch("k", || async {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok((Secret::new("token-aaaaaaaaaaaa"), 600))
                    })
                    .await
                    .unwrap()
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().expose(), "token-aaaaaaaaaaaa");
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        // Invalidating with a stale token keeps the current one.
        cache.invalidate("k", Some(&Secret::new("other"))).await;
        let again = cache.get_or_fetch("k", || async { Ok((Secret::new("new-token-bbbbbbbb"), 600)) }).await.unwrap();
        assert_eq!(again.expose(), "token-aaaaaaaaaaaa");
        cache.invalidate("k", Some(&again)).await;
        let fresh = cache.get_or_fetch("k", || async { Ok((Secret::new("new-token-bbbbbbbb"), 600)) }).await.unwrap();
        assert_eq!(fresh.expose(), "new-token-bbbbbbbb");
        assert_eq!(margin_secs(120), 30);
        assert_eq!(margin_secs(60), 30);
        assert_eq!(margin_secs(10), 5);
    }
}
