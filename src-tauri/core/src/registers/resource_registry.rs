//! Altinn's Resource Registry, public part: a Broker resource's title (nb,
//! nn, en) and its owner (`hasCompetentAuthority`), so the app can show the
//! service by name instead of its ID (docs/ALTINN.md#names-for-numbers).

use super::enhetsregisteret::TIMEOUT;
use super::types::{NameStatus, ServiceInfo};
use crate::error::{AppError, AppResult, ErrorCode};
use serde::Deserialize;
use std::collections::BTreeMap;

/// `GET /resource/{id}`: a `ServiceResource`. Only what the app shows is
/// read; the registry writes every other field too (often as `null`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ServiceResource {
    identifier: String,
    #[serde(default)]
    title: Option<BTreeMap<String, String>>,
    has_competent_authority: Option<CompetentAuthority>,
    resource_type: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CompetentAuthority {
    organization: Option<String>,
    orgcode: Option<String>,
    #[serde(default)]
    name: Option<BTreeMap<String, String>>,
}

fn unavailable(detail: impl std::fmt::Display) -> AppError {
    AppError::new(ErrorCode::RegisterUnavailable).with_detail(format!("Resource Registry: {detail}"))
}

/// The registry at `base` (`{platform}/resourceregistry/api/v1`).
pub struct ResourceRegistry<'a> {
    http: &'a reqwest::Client,
    base: &'a str,
}

impl<'a> ResourceRegistry<'a> {
    pub fn new(http: &'a reqwest::Client, base: &'a str) -> Self {
        ResourceRegistry { http, base: base.trim_end_matches('/') }
    }

    /// The resource `id`; `Ok(None)` when the registry does not have it (404).
    pub async fn resource(&self, id: &str, now: i64) -> AppResult<Option<ServiceInfo>> {
        // The ID goes in the path: refuse anything that could leave it.
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Ok(None);
        }
        let resp = self
            .http
            .get(format!("{}/resource/{id}", self.base))
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(TIMEOUT)
            .send()
            .await
            .map_err(|e| unavailable(format!("not reached: {e}")))?;
        match resp.status().as_u16() {
            200 => {
                let r: ServiceResource = resp.json().await.map_err(|e| unavailable(format!("unreadable: {e}")))?;
                let owner = r.has_competent_authority;
                Ok(Some(ServiceInfo {
                    resource_id: r.identifier,
                    status: NameStatus::Found,
                    title: r.title.unwrap_or_default(),
                    owner_org: owner.as_ref().and_then(|o| o.organization.clone()),
                    owner_code: owner.as_ref().and_then(|o| o.orgcode.clone()),
                    owner_name: owner.and_then(|o| o.name).unwrap_or_default(),
                    resource_type: r.resource_type,
                    fetched: Some(now),
                    stale: false,
                }))
            }
            404 => Ok(None),
            s => Err(unavailable(format!("HTTP {s}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_resource_reads_with_nulls_and_fields_the_app_ignores() {
        let r: ServiceResource = serde_json::from_value(json!({
            "identifier": "budbringer-ovelse", "version": null,
            "title": {"nb": "Øving", "nn": "Øving", "en": "Practice"},
            "description": {"nb": "x"}, "rightDescription": null, "homepage": null, "status": "Completed",
            "contactPoints": [], "delegable": true, "visible": true,
            "hasCompetentAuthority": {"name": {"nb": "Digdir"}, "organization": "991825827", "orgcode": "digdir"},
            "keywords": [], "accessListMode": "Enabled", "resourceType": "BrokerService", "versionId": 3
        }))
        .unwrap();
        assert_eq!(r.identifier, "budbringer-ovelse");
        assert_eq!(r.resource_type.as_deref(), Some("BrokerService"));
        assert_eq!(r.has_competent_authority.and_then(|o| o.organization).as_deref(), Some("991825827"));
    }
}
