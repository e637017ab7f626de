//! One gate between "which organisations are here" and "a file is queued for
//! one of them" (issue 17).
//!
//! Removing an organisation checks that none of its files is on its way and
//! then deletes its profile and secrets; sending reads the sender's profile
//! and then saves a job for it. Without a common lock a send made in the same
//! instant could read the profile before the removal and save its job after
//! the check, leaving a queued job whose credentials are gone (it would fail
//! with `PROFILE_INCOMPLETE`). Both hold this gate across their
//! check-then-act, so one of them sees the other's result: the removal is
//! refused, or the send finds no organisation.
//!
//! The gate guards only local work (the profile file, the secret store, the
//! job saved in the store); the upload runs in the queue's own task after it
//! is let go, so the gate is never held across network I/O.

use budbringer_core::sync::Locked;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

/// Where a holder of the gate has checked and is about to act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateStep {
    /// A send has read its sender's profile and is about to queue its files.
    SenderChecked,
    /// A removal found no unfinished send and is about to delete the organisation.
    RemovalChecked,
}

/// Called at each [`GateStep`]; tests use it to widen the window between the
/// check and the act (a sleep), which changes nothing but the timing.
pub type StepHook = Arc<dyn Fn(GateStep) + Send + Sync>;

#[derive(Default)]
pub struct OrgGate {
    lock: Mutex<()>,
    hook: RwLock<Option<StepHook>>,
}

impl OrgGate {
    /// Holds the gate until the guard is dropped. Never across an `.await`
    /// (the lint `await_holding_lock` refuses it) or a network call.
    pub fn enter(&self) -> MutexGuard<'_, ()> {
        self.lock.locked()
    }

    /// Marks that the holder has checked and is about to act.
    pub fn reached(&self, step: GateStep) {
        let hook = self.hook.read().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(hook) = hook {
            hook(step);
        }
    }

    /// Sets (or clears) the hook called at each [`GateStep`]. Only for tests.
    #[doc(hidden)]
    pub fn set_step_hook(&self, hook: Option<StepHook>) {
        *self.hook.write().unwrap_or_else(|p| p.into_inner()) = hook;
    }
}
