//! The connection test: each step's result and the named error to advise on.

use crate::common::*;
use budbringer_core::altinn::connection_test::{self, Outcome, Step};
use budbringer_core::altinn::profile::TokenMode;
use budbringer_core::error::ErrorCode;

#[tokio::test]
async fn all_steps_pass_and_direct_mode_is_recorded() {
    let w = World::start(BROKER_SCOPES).await;
    let report = connection_test::run(&w.default_client()).await;
    let steps: Vec<(Step, Outcome)> = report.steps.iter().map(|s| (s.step, s.outcome)).collect();
    assert_eq!(
        steps,
        [
            (Step::Clock, Outcome::Ok),
            (Step::Grant, Outcome::Ok),
            (Step::Token, Outcome::Ok),
            (Step::Exchange, Outcome::Ok),
            (Step::Broker, Outcome::Ok)
        ],
        "{report:#?}"
    );
    assert!(report.ok);
    assert_eq!(report.working_mode, Some(TokenMode::Direct));
    assert_eq!(report.consumer.as_deref(), Some(format!("0192:{}", budbringer_sandbox::PRACTICE_ORG_A).as_str()));
    assert_eq!(report.client_amr.as_deref(), Some("private_key_jwt"));
    // No token ever reaches the report.
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains("eyJ"), "{json}");
}

#[tokio::test]
async fn skewed_clock_stops_before_the_token() {
    let w = World::start(BROKER_SCOPES).await;
    w.sandbox.admin().set_clock_offset(-20);
    let report = connection_test::run(&w.default_client()).await;
    assert!(!report.ok);
    assert_eq!(report.steps[0].step, Step::Clock);
    assert_eq!(report.steps[0].error.as_ref().unwrap().code, ErrorCode::ClockSkew);
    assert_eq!(report.steps[2].outcome, Outcome::Skipped);
    assert_eq!(w.tokens_issued(), 0);
}

#[tokio::test]
async fn missing_scope_and_no_access_are_reported_per_step() {
    let w = World::start(&["altinn:broker.write"]).await;
    let report = connection_test::run(&w.default_client()).await;
    let token = report.steps.iter().find(|s| s.step == Step::Token).unwrap();
    assert_eq!(token.error.as_ref().unwrap().code, ErrorCode::ScopeNotGranted);
    assert_eq!(report.steps.last().unwrap().outcome, Outcome::Skipped);

    let w = World::start(BROKER_SCOPES).await;
    let admin = w.sandbox.admin();
    let mut s = admin.settings();
    s.require_system_user = true;
    admin.set_settings(s);
    let report = connection_test::run(&w.default_client()).await;
    let broker = report.steps.last().unwrap();
    assert_eq!(broker.step, Step::Broker);
    assert_eq!(broker.error.as_ref().unwrap().code, ErrorCode::BrokerNoAccess);
    assert_eq!(report.working_mode, None);
    // Wrong resource: Broker's own error, named.
    let mut p = w.profile();
    p.resource_ids = vec![];
    let report = connection_test::run(&w.client(p)).await;
    assert_eq!(report.steps.last().unwrap().error.as_ref().unwrap().code, ErrorCode::ProfileNoServices);
}
