//! Removing an organisation from this computer (issue 17): its profile and
//! every secret in its namespace go; what it sent and received stays in the
//! history (read-only: a file of it can still be opened, a receipt printed).
//!
//! A job keeps the organisation it was made for, and only that organisation's
//! credentials can finish it. Removing the organisation under a queued,
//! paused or half-sent file would leave a job that can never finish, so the
//! removal is refused with [`ErrorCode::OrgHasUnfinishedSends`] until those
//! files are published or cancelled (the Send page does both).
//!
//! The check and the removal hold the state's [`OrgGate`](crate::org_gate),
//! as a send does from reading its sender to saving its jobs: a file queued
//! in the same instant is either seen by the check (the removal is refused)
//! or refused itself (the organisation is gone).

use crate::org_gate::GateStep;
use crate::state::AppState;
use budbringer_core::environment::Environment;
use budbringer_core::error::{AppError, AppResult, ErrorCode};
use budbringer_core::transfers::send::SendJob;
use budbringer_core::transfers::validate::OrgNumber;

/// `org`'s jobs in `env` that have not finished (queued, preparing,
/// uploading, waiting for Altinn, paused).
pub fn unfinished_sends(state: &AppState, env: Environment, org: &str) -> AppResult<Vec<SendJob>> {
    let Ok(sender) = OrgNumber::parse(org.trim_start_matches("0192:")) else {
        return Ok(Vec::new());
    };
    let sender = sender.actor_id();
    let Ok(queue) = state.queue() else {
        // No queue yet (the app is still starting): nothing can be in flight.
        return Ok(Vec::new());
    };
    Ok(queue.unfinished()?.into_iter().filter(|j| j.environment == env && j.sender == sender).collect())
}

/// Removes `org` from `env` on this computer, unless it still has files on
/// their way. Another organisation of the environment becomes active when
/// `org` was.
pub fn remove(state: &AppState, env: Environment, org: &str) -> AppResult<()> {
    let _gate = state.org_gate.enter();
    let pending = unfinished_sends(state, env, org)?;
    if !pending.is_empty() {
        return Err(AppError::new(ErrorCode::OrgHasUnfinishedSends)
            .with_detail(format!("{} file(s) of organisation {org} are still being sent", pending.len())));
    }
    state.org_gate.reached(GateStep::RemovalChecked);
    state.profiles.remove(env, org)?;
    state.forget_client(env);
    Ok(())
}
