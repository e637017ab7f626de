//! A large file in parallel parts, joined by TUS concatenation
//! (`docs/ALTINN.md#tus-parts`): one partial upload per byte range of the file
//! (`Upload-Concat: partial`), all sent at once, each chunk by chunk from the
//! server's offset exactly as a single upload is (`send.rs`), then the final
//! upload (`Upload-Concat: final;<locations>`) that makes them the transfer's
//! file. On a link whose every connection is limited (a shaped or long link)
//! this multiplies the speed (docs/BENCHMARKS.md).
//!
//! Resume: each part's `Location` and confirmed offset live in the job
//! ([`TusParts`], saved through the caller's hook when a partial is made and
//! before each chunk), so a dropped connection or a restart goes on from each
//! part's server offset; a partial the server forgot (404/410) is made again
//! from 0; the final is made once only: before making it, `HEAD` of the
//! transfer's own upload says whether an earlier run made it already.

use super::broker::{Broker, TusAt, TusError};
use super::send_types::{UploadSettings, MIN_CHUNK_SIZE};
use super::tus_retry::{pause_for, NoProgress, Pause};
use crate::error::AppResult;
use crate::sync::Locked;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// One byte range of the file and its partial upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TusPart {
    /// The file's byte at the partial's offset 0.
    pub start: u64,
    pub len: u64,
    /// The partial's `Location` (a path), once made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The offset the server last confirmed (its `HEAD` decides on resume).
    #[serde(default)]
    pub sent: u64,
}

/// A job's parts. Clones share them, so that whatever saves the job (also
/// after a pause or cancel dropped the upload mid-way) saves the latest.
#[derive(Debug, Clone, Default)]
pub struct TusParts(Arc<Mutex<Vec<TusPart>>>);

impl TusParts {
    pub fn new(parts: Vec<TusPart>) -> Self {
        TusParts(Arc::new(Mutex::new(parts)))
    }

    pub fn get(&self) -> Vec<TusPart> {
        self.0.locked().clone()
    }

    /// The bytes the server confirmed, over all parts.
    pub fn sent(&self) -> u64 {
        self.0.locked().iter().map(|p| p.sent).sum()
    }
}

impl Serialize for TusParts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.get().serialize(s)
    }
}

impl<'de> Deserialize<'de> for TusParts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<TusPart>::deserialize(d).map(TusParts::new)
    }
}

/// The parts for a TUS file of `size` bytes, or `None` for one stream: below
/// the threshold, or too small for two parts of at least a chunk each.
pub fn plan(size: u64, settings: &UploadSettings) -> Option<TusParts> {
    if settings.parallel_parts < 2 || size < settings.parallel_threshold {
        return None;
    }
    let n = u64::from(settings.parallel_parts).min(size / MIN_CHUNK_SIZE);
    if n < 2 {
        return None;
    }
    let each = size / n;
    let parts = (0..n)
        .map(|i| TusPart {
            start: i * each,
            len: if i + 1 == n { size - i * each } else { each },
            location: None,
            sent: 0,
        })
        .collect();
    Some(TusParts::new(parts))
}

/// How the parts ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every part is there and the final upload is made.
    Done,
    /// The transfer is past uploading (409): the overview says how it went.
    Over,
}

/// The upload's fixed facts.
pub struct Target<'a> {
    pub broker: &'a Broker,
    pub settings: &'a UploadSettings,
    pub id: Uuid,
    pub path: &'a Path,
    pub size: u64,
}

/// Sends the parts at once, then makes the final upload. `save` persists the
/// job (its parts are `parts`), given the bytes confirmed so far; `progress`
/// is told each increase of the bytes handed to the network, summed over the
/// parts and never going back (a chunk sent again counts once).
pub async fn upload(
    t: Target<'_>,
    parts: &TusParts,
    save: &(dyn Fn(u64) -> AppResult<()> + Sync),
    progress: Arc<dyn Fn(u64) + Send + Sync>,
) -> AppResult<Outcome> {
    {
        // Locations of another transfer (the job was retried as a new one) are not ours.
        let own = format!("/{}/", t.id);
        for p in parts.0.locked().iter_mut() {
            if p.location.as_deref().is_some_and(|l| !l.contains(&own)) {
                p.location = None;
                p.sent = 0;
            }
        }
    }
    let handed: Vec<AtomicU64> = parts.get().iter().map(|p| AtomicU64::new(p.sent)).collect();
    let shown = Mutex::new(handed.iter().map(|h| h.load(Ordering::Relaxed)).sum::<u64>());
    let n = handed.len();
    let run = Run { t, parts, save, tally: Arc::new(Tally { handed, shown, progress }) };
    let ends = futures_util::future::try_join_all((0..n).map(|i| run.part(i))).await?;
    if ends.contains(&Outcome::Over) {
        return Ok(Outcome::Over);
    }
    run.finish().await
}

struct Run<'a> {
    t: Target<'a>,
    parts: &'a TusParts,
    save: &'a (dyn Fn(u64) -> AppResult<()> + Sync),
    tally: Arc<Tally>,
}

impl Run<'_> {
    /// One part, chunk by chunk from the server's offset, as `send.rs`'s
    /// single upload: only progress resets the count of tries.
    async fn part(&self, i: usize) -> AppResult<Outcome> {
        let (start, len) = {
            let p = &self.parts.0.locked()[i];
            (p.start, p.len)
        };
        let chunk = self.t.settings.chunk_for(self.t.size);
        let mut tries = NoProgress::new(self.t.settings.max_attempts);
        let Some(mut offset) = self.position(i, &mut tries).await? else { return Ok(Outcome::Over) };
        let mut best = offset;
        while offset < len {
            self.record(i, offset)?;
            let n = chunk.min(len - offset);
            let url = self.url(i);
            let at = TusAt { id: self.t.id, url: &url, file_start: start };
            let failed = match self.t.broker.tus_patch_at(at, self.t.path, offset, n, self.counter(i, offset)).await {
                Ok(o) if o.min(len) > best => {
                    best = o.min(len);
                    offset = best;
                    tries.progress();
                    continue;
                }
                Ok(o) => {
                    tracing::info!(id = %self.t.id, part = i, offset, new_offset = o, "TUS part chunk answered without progress");
                    tries.failed(None, Pause::Backoff).await?;
                    offset = o.min(len);
                    continue;
                }
                Err(e) => e,
            };
            let hint = match &failed {
                TusError::Over(_) => return Ok(Outcome::Over),
                TusError::Call(e) if !e.transient => return Err(e.error.clone()),
                TusError::Conflict { server_offset, .. } => *server_offset,
                _ => None,
            };
            tracing::info!(id = %self.t.id, part = i, offset, error = %failed.call().error, "TUS part chunk failed; resuming from the server's offset");
            tries.failed(Some(failed.call()), pause_for(&failed)).await?;
            offset = match self.position(i, &mut tries).await? {
                Some(o) => o.max(hint.unwrap_or(0)).min(len),
                None => return Ok(Outcome::Over),
            };
            if offset > best {
                best = offset;
                tries.progress();
            }
        }
        self.record(i, len)?;
        Ok(Outcome::Done)
    }

    /// The part's server offset by `HEAD`; a part never made, or one the
    /// server forgot (404/410), is made (again), from 0. `None`: over.
    async fn position(&self, i: usize, tries: &mut NoProgress) -> AppResult<Option<u64>> {
        loop {
            let (location, len) = {
                let p = &self.parts.0.locked()[i];
                (p.location.clone(), p.len)
            };
            let e = match location {
                Some(l) => match self.t.broker.tus_offset_at(&self.t.broker.tus_part_url(&l)).await {
                    Ok(Some(o)) => {
                        self.tally.handed[i].store(o.min(len), Ordering::Relaxed);
                        return Ok(Some(o.min(len)));
                    }
                    Ok(None) => {
                        tracing::info!(id = %self.t.id, part = i, "the server forgot a partial upload; making it again");
                        self.set_location(i, None)?;
                        continue;
                    }
                    Err(e) => e,
                },
                None => match self.t.broker.tus_create_partial(self.t.id, len).await {
                    Ok(l) => {
                        self.set_location(i, Some(l))?;
                        return Ok(Some(0));
                    }
                    Err(e) => e,
                },
            };
            match &e {
                TusError::Over(_) => return Ok(None),
                TusError::Call(c) if !c.transient => return Err(c.error.clone()),
                _ => {}
            }
            tracing::info!(id = %self.t.id, part = i, error = %e.call().error, "TUS part offset unknown; asking again");
            tries.failed(Some(e.call()), pause_for(&e)).await?;
        }
    }

    /// The final upload, made once: `HEAD` of the transfer's own upload finds
    /// one an earlier run made (whose answer, or whose save, was lost).
    async fn finish(&self) -> AppResult<Outcome> {
        let locations: Vec<String> = self.parts.get().into_iter().filter_map(|p| p.location).collect();
        let mut tries = NoProgress::new(self.t.settings.max_attempts);
        loop {
            let e = match self.t.broker.tus_offset(self.t.id).await {
                Ok(Some(_)) => return Ok(Outcome::Done),
                Ok(None) => match self.t.broker.tus_create_final(self.t.id, &locations).await {
                    Ok(()) => return Ok(Outcome::Done),
                    Err(e) => e,
                },
                Err(e) => e,
            };
            match &e {
                TusError::Over(_) => return Ok(Outcome::Over),
                TusError::Call(c) if !c.transient => return Err(c.error.clone()),
                _ => {}
            }
            tracing::info!(id = %self.t.id, error = %e.call().error, "TUS final upload not made; trying again");
            tries.failed(Some(e.call()), pause_for(&e)).await?;
        }
    }

    fn url(&self, i: usize) -> String {
        let location = self.parts.0.locked()[i].location.clone().unwrap_or_default();
        self.t.broker.tus_part_url(&location)
    }

    fn set_location(&self, i: usize, location: Option<String>) -> AppResult<()> {
        {
            let p = &mut self.parts.0.locked()[i];
            p.location = location;
            p.sent = 0;
        }
        self.tally.handed[i].store(0, Ordering::Relaxed);
        (self.save)(self.parts.sent())
    }

    /// The part's server offset, saved before its next chunk goes out.
    fn record(&self, i: usize, offset: u64) -> AppResult<()> {
        self.parts.0.locked()[i].sent = offset;
        (self.save)(self.parts.sent())
    }

    /// The progress callback of part `i`'s chunk that starts at `offset`.
    fn counter(&self, i: usize, offset: u64) -> Arc<dyn Fn(u64) + Send + Sync> {
        let tally = self.tally.clone();
        tally.handed[i].store(offset, Ordering::Relaxed);
        tally.report();
        Arc::new(move |n| {
            tally.handed[i].fetch_add(n, Ordering::Relaxed);
            tally.report();
        })
    }
}

/// Bytes handed to the network, per part, and what was reported of them.
struct Tally {
    /// Per part: its confirmed offset plus the bytes of its chunk in flight.
    handed: Vec<AtomicU64>,
    /// The most ever reported: the sum dips when a chunk is sent again.
    shown: Mutex<u64>,
    progress: Arc<dyn Fn(u64) + Send + Sync>,
}

impl Tally {
    fn report(&self) {
        let mut shown = self.shown.locked();
        let sum: u64 = self.handed.iter().map(|h| h.load(Ordering::Relaxed)).sum();
        if sum > *shown {
            (self.progress)(sum - *shown);
            *shown = sum;
        }
    }
}
