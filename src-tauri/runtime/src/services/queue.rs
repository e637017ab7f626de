//! The send queue's start-up: one queue per app, whose Broker comes from the
//! state's client for the job's environment and sender.

use super::sink::EventSink;
use crate::state::AppState;
use budbringer_core::environment::Environment;
use budbringer_core::error::{AppError, AppResult};
use budbringer_core::transfers::broker::Broker;
use budbringer_core::transfers::engine::SendQueue;
use budbringer_core::transfers::send::UploadSettings;
use std::sync::Arc;

/// How many files upload at once.
pub const PARALLEL_UPLOADS: usize = 2;

/// Makes the send queue and hands it to the state; nothing starts yet. It
/// must be called inside the Tokio runtime that is to run the jobs.
pub fn open(state: &Arc<AppState>, events: Arc<dyn EventSink>, tuning: UploadSettings) -> Arc<SendQueue> {
    // Weak: the state holds the queue, so a strong reference here would be a cycle.
    let weak = Arc::downgrade(state);
    // Each job sends as its own sender, whichever organisation is active now.
    let provider = Arc::new(move |env: Environment, sender: &str| -> AppResult<Broker> {
        let state = weak.upgrade().ok_or_else(|| AppError::internal("the app is shutting down"))?;
        Ok(Broker::new(state.running_client_for(env, sender)?))
    });
    let listener = Arc::new(move |u| events.send_update(u));
    let queue = SendQueue::new(state.store.clone(), provider, tuning, PARALLEL_UPLOADS, listener);
    state.set_queue(queue.clone());
    queue
}

/// The app's start-up: the queue with the settings' tuning, and every job the
/// last run left unfinished started again.
pub fn start(state: &Arc<AppState>, events: Arc<dyn EventSink>) -> Arc<SendQueue> {
    let queue = open(state, events, state.settings().upload_settings());
    match queue.resume_unfinished() {
        Ok(n) if n > 0 => tracing::info!(n, "resumed unfinished transfers"),
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "could not resume unfinished transfers"),
    }
    queue
}
