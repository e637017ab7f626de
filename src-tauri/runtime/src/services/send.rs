//! Sending as one of the organisations (the active one unless the Send page
//! chooses another): what the Send page asks for.

use crate::org_gate::GateStep;
use crate::state::AppState;
use budbringer_core::error::{AppError, AppResult, ErrorCode};
use budbringer_core::transfers::send::{SendJob, SendRequest};
use budbringer_core::transfers::validate::OrgNumber;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Files to send, with what goes with each.
#[derive(Debug, Clone, Default)]
pub struct SendFiles {
    pub paths: Vec<String>,
    pub recipients: Vec<String>,
    /// The Broker resource; the profile's first when blank.
    pub resource_id: Option<String>,
    pub reference: Option<String>,
    pub properties: BTreeMap<String, String>,
    /// The organisation to send from (nine digits); the active one when `None`.
    pub from: Option<String>,
}

/// Checks and queues files in the active environment, from the chosen (or the
/// active) organisation; each job keeps that organisation whatever is chosen
/// later. The request as a whole is refused when the profile cannot send;
/// after that each file gets its own outcome, so one bad file does not stop the others.
///
/// From reading the sender's profile to saving the last job it holds the
/// state's [`OrgGate`](crate::org_gate): the sender cannot be removed in
/// between (a removal that came first makes this refuse the request). Only
/// local work happens inside; the uploads run in the queue's tasks.
pub fn send_files(state: &AppState, files: SendFiles) -> AppResult<Vec<(String, AppResult<SendJob>)>> {
    let _gate = state.org_gate.enter();
    let env = state.settings().environment;
    let profile = match files.from.as_deref().filter(|f| !f.trim().is_empty()) {
        Some(org) => state.profiles.get_org(env, org.trim()).ok_or_else(|| {
            AppError::new(ErrorCode::ProfileIncomplete).with_detail(format!("organisation {org} is not set up here"))
        })?,
        None => state.profiles.get(env),
    };
    profile.check_ready()?;
    let sender = OrgNumber::parse(&profile.org_number)?;
    let resource_id = files
        .resource_id
        .filter(|r| !r.trim().is_empty())
        .or_else(|| profile.resource_ids.first().cloned())
        .ok_or_else(|| AppError::invalid_input("choose the Broker resource to send on"))?;
    if files.paths.is_empty() {
        return Err(AppError::invalid_input("no files chosen"));
    }
    let queue = state.queue()?;
    state.org_gate.reached(GateStep::SenderChecked);
    Ok(files
        .paths
        .into_iter()
        .map(|path| {
            let req = SendRequest {
                path: PathBuf::from(&path),
                resource_id: resource_id.clone(),
                recipients: files.recipients.clone(),
                properties: files.properties.clone(),
                reference: files.reference.clone(),
            };
            let outcome = queue.enqueue(&req, env, &sender, None);
            (path, outcome)
        })
        .collect())
}

/// The active organisation's jobs in the active environment (in the sandbox
/// one computer can act as two organisations).
pub fn jobs(state: &AppState) -> AppResult<Vec<SendJob>> {
    newest_jobs(state, None)
}

/// The first `limit` of [`jobs`] (all without one): the Sent page's first page.
pub fn newest_jobs(state: &AppState, limit: Option<usize>) -> AppResult<Vec<SendJob>> {
    let env = state.settings().environment;
    let me = OrgNumber::parse(&state.profiles.get(env).org_number).ok().map(|o| o.actor_id());
    state.queue()?.newest(limit, |j| j.environment == env && me.as_ref().is_none_or(|m| &j.sender == m))
}
