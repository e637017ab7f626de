//! The connection test (wizard W6/W10): clock → grant → token → exchange →
//! a Broker search on the profile's first resource. Every step reports its
//! result, and a failed step carries the named error whose locale text
//! (`error.<CODE>`) is the advice to show.

use crate::error::{AppError, ErrorCode};
use crate::secrets::Secret;
use serde::Serialize;
use ts_rs::TS;

use super::client::{AltinnClient, MAX_CLOCK_SKEW_SECS};
use super::exchange::jwt_exp;
use super::profile::TokenMode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename = "TestStep")]
pub enum Step {
    Clock,
    Grant,
    Token,
    Exchange,
    Broker,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StepResult {
    pub step: Step,
    /// `ok`, `failed` or `skipped`.
    pub outcome: Outcome,
    /// What was found (never a secret), e.g. the skew or the granted scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub detail: Option<String>,
    /// Why it failed; `error.code` names the advice text.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub error: Option<AppError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename = "StepOutcome")]
pub enum Outcome {
    Ok,
    Failed,
    Skipped,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionReport {
    pub ok: bool,
    pub steps: Vec<StepResult>,
    /// The token mode that reached Broker (Direct is tried first).
    pub working_mode: Option<TokenMode>,
    pub clock_skew_secs: Option<i64>,
    /// From the Maskinporten token, for the wizard to show.
    pub granted_scope: Option<String>,
    pub consumer: Option<String>,
    pub client_amr: Option<String>,
    pub system_user_id: Option<String>,
}

fn ok(step: Step, detail: impl Into<String>) -> StepResult {
    StepResult { step, outcome: Outcome::Ok, detail: Some(detail.into()), error: None }
}

fn failed(step: Step, error: AppError) -> StepResult {
    StepResult { step, outcome: Outcome::Failed, detail: None, error: Some(error) }
}

fn skipped(step: Step, why: &str) -> StepResult {
    StepResult { step, outcome: Outcome::Skipped, detail: Some(why.to_owned()), error: None }
}

fn claims(token: &str) -> Option<serde_json::Value> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Runs every step; later steps are skipped when what they need failed.
pub async fn run(client: &AltinnClient) -> ConnectionReport {
    let profile = client.profile().clone();
    let mut report = ConnectionReport {
        ok: false,
        steps: Vec::new(),
        working_mode: None,
        clock_skew_secs: None,
        granted_scope: None,
        consumer: None,
        client_amr: None,
        system_user_id: None,
    };

    // 1. Clock.
    let clock_ok = match client.measure_clock().await {
        Ok(s) if s.abs() <= MAX_CLOCK_SKEW_SECS => {
            report.clock_skew_secs = Some(s);
            report.steps.push(ok(Step::Clock, format!("{s} s")));
            true
        }
        Ok(s) => {
            report.clock_skew_secs = Some(s);
            let dir = if s > 0 { "behind" } else { "ahead of" };
            report.steps.push(failed(
                Step::Clock,
                AppError::new(ErrorCode::ClockSkew)
                    .with_detail(format!("this computer's clock is {} s {dir} Altinn's clock", s.abs())),
            ));
            false
        }
        Err(e) => {
            report.steps.push(failed(Step::Clock, e));
            false
        }
    };

    // 2. Grant (signed locally: checks the profile and the key).
    let scope = profile.broker_scope();
    let grant = match profile.check_ready().and_then(|_| client.sign_grant(&scope, true)) {
        Ok(g) => {
            report.steps.push(ok(Step::Grant, format!("scope {scope}")));
            Some(g)
        }
        Err(e) => {
            report.steps.push(failed(Step::Grant, e));
            None
        }
    };

    // 3. Token.
    let mp_token: Option<Secret> = match (&grant, clock_ok) {
        (None, _) => {
            report.steps.push(skipped(Step::Token, "no grant"));
            None
        }
        (Some(_), false) => {
            report.steps.push(skipped(Step::Token, "fix the clock first"));
            None
        }
        (Some(g), true) => match client.post_grant(g).await {
            Ok(t) => {
                if let Some(c) = claims(t.access_token.expose()) {
                    report.granted_scope = c.get("scope").and_then(|v| v.as_str()).map(str::to_owned);
                    report.consumer = c.pointer("/consumer/ID").and_then(|v| v.as_str()).map(str::to_owned);
                    report.client_amr = c.get("client_amr").and_then(|v| v.as_str()).map(str::to_owned);
                    report.system_user_id = c
                        .pointer("/authorization_details/0/systemuser_id/0")
                        .and_then(|v| v.as_str())
                        .map(str::to_owned);
                }
                report.steps.push(ok(Step::Token, format!("expires in {} s", t.expires_in)));
                Some(t.access_token)
            }
            Err(e) => {
                report.steps.push(failed(Step::Token, e));
                None
            }
        },
    };

    // 4. Exchange.
    let altinn_token: Option<Secret> = match &mp_token {
        None => {
            report.steps.push(skipped(Step::Exchange, "no Maskinporten token"));
            None
        }
        Some(t) => match client.exchange(t).await {
            Ok((a, life)) => {
                let exp = jwt_exp(a.expose()).map(|e| format!(", exp {e}")).unwrap_or_default();
                report.steps.push(ok(Step::Exchange, format!("valid {life} s{exp}")));
                Some(a)
            }
            Err(e) => {
                report.steps.push(failed(Step::Exchange, e));
                None
            }
        },
    };

    // 5. Broker search: Direct first, then Exchanged (`docs/ALTINN.md#the-token-exchange`).
    let Some(resource) = profile.resource_ids.first().cloned() else {
        report.steps.push(failed(
            Step::Broker,
            AppError::new(ErrorCode::ProfileNoServices).with_detail("missing: resourceIds"),
        ));
        return report;
    };
    if mp_token.is_none() {
        report.steps.push(skipped(Step::Broker, "no token"));
        return report;
    }
    let url = format!("{}/filetransfer", client.broker_base());
    let mut last_err: Option<AppError> = None;
    for (mode, token) in [(TokenMode::Direct, &mp_token), (TokenMode::Exchanged, &altinn_token)] {
        let Some(token) = token else { continue };
        let res = client.send_with_token(|h| h.get(&url).query(&[("resourceId", resource.as_str())]), token).await;
        match res {
            Ok(resp) if resp.status().is_success() => {
                report.working_mode = Some(mode);
                let mode_s = match mode {
                    TokenMode::Direct => "direct Maskinporten token",
                    TokenMode::Exchanged => "exchanged Altinn token",
                };
                report.steps.push(ok(Step::Broker, format!("search on {resource} works with the {mode_s}")));
                last_err = None;
                break;
            }
            Ok(resp) => {
                let status = resp.status();
                let e = super::problem::error_from_response(resp).await;
                last_err = Some(e);
                // Only an authentication failure is worth a second try with the other token.
                if status != reqwest::StatusCode::UNAUTHORIZED {
                    break;
                }
            }
            Err(e) => {
                last_err = Some(e);
                break;
            }
        }
    }
    if let Some(e) = last_err {
        report.steps.push(failed(Step::Broker, e));
    } else if let Some(mode) = report.working_mode {
        // The other services too, with the token that worked: a service added
        // later has its own right (and its own access list).
        let token = if mode == TokenMode::Direct { &mp_token } else { &altinn_token };
        for other in profile.resource_ids.iter().skip(1) {
            let Some(token) = token else { break };
            let res = client.send_with_token(|h| h.get(&url).query(&[("resourceId", other.as_str())]), token).await;
            let err = match res {
                Ok(resp) if resp.status().is_success() => None,
                Ok(resp) => Some(super::problem::error_from_response(resp).await),
                Err(e) => Some(e),
            };
            if let Some(e) = err {
                let detail = format!("{other}: {}", e.detail.clone().unwrap_or_default());
                if let Some(last) = report.steps.last_mut() {
                    *last = failed(Step::Broker, e.with_detail(detail));
                }
                break;
            }
        }
    }
    report.ok = report.steps.iter().all(|s| s.outcome == Outcome::Ok);
    report
}
