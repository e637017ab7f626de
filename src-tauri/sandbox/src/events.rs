//! Altinn Events polling (`GET /events/api/v1/events`) for Broker's CloudEvents
//! (docs/ALTINN.md#events-and-polling). The feed is derived from the append-only status logs of
//! the file transfers, so it needs no state of its own and survives restarts.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use md5::{Digest, Md5};
use serde_json::{json, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::app::App;
use crate::auth::authenticate;
use crate::errors;
use crate::model::{fmt_ts, strip_org, ActorStatus, FileTransfer, FtStatus};

pub fn routes() -> Router<App> {
    Router::new().route("/events/api/v1/events", get(events))
}

struct Ev {
    at: OffsetDateTime,
    id: Uuid,
    body: Value,
    subject_org: String,
}

fn event(base: &str, ft: &FileTransfer, ty: &str, org: &str, role: &str, at: OffsetDateTime, n: usize) -> Ev {
    let org = strip_org(org);
    // Stable ids: the same transfer history always yields the same feed.
    let digest = Md5::digest(format!("{}:{ty}:{org}:{role}:{n}", ft.id).as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest);
    let id = uuid::Builder::from_random_bytes(b).into_uuid();
    Ev {
        at,
        id,
        subject_org: org.clone(),
        body: json!({
            "specversion": "1.0",
            "id": id,
            "type": format!("no.altinn.broker.{ty}"),
            "time": fmt_ts(at),
            "resource": format!("urn:altinn:resource:{}", ft.resource_id),
            "resourceinstance": ft.id,
            "subject": format!("urn:altinn:organization:identifier-no:{org}"),
            "source": format!("{base}/broker/api/v1/filetransfer"),
            "data": {"Role": role},
        }),
    }
}

/// The CloudEvents Broker would have published for one transfer.
fn transfer_events(base: &str, ft: &FileTransfer, out: &mut Vec<Ev>) {
    let sender = ft.sender.clone();
    let mut n = 0;
    let mut push = |out: &mut Vec<Ev>, ty: &str, org: &str, role: &str, at| {
        n += 1;
        out.push(event(base, ft, ty, org, role, at, n));
    };
    let mut hist = ft.history.clone();
    hist.sort_by_key(|e| e.at);
    let final_concat = ft.tus.as_ref().map(|t| !t.final_parts.is_empty()).unwrap_or(false);
    for e in &hist {
        match e.status {
            FtStatus::Initialized => push(out, "filetransferinitialized", &sender, "Sender", e.at),
            // A TUS concat final sets UploadProcessing without an event.
            FtStatus::UploadProcessing if !final_concat => push(out, "uploadprocessing", &sender, "Sender", e.at),
            FtStatus::Published => {
                push(out, "published", &sender, "Sender", e.at);
                for r in &ft.recipients {
                    push(out, "published", r, "Recipient", e.at);
                }
            }
            FtStatus::Failed => {
                let text = e.text.as_deref().unwrap_or("");
                // A streamed-upload checksum mismatch publishes no event.
                if !(text == "Checksum mismatch" && ft.tus.is_none()) {
                    push(out, "uploadfailed", &sender, "Sender", e.at);
                }
                if text.starts_with("Malware scan failed") {
                    for r in &ft.recipients {
                        push(out, "fileneverconfirmeddownloaded", r, "Recipient", e.at);
                    }
                    push(out, "fileneverconfirmeddownloaded", &sender, "Sender", e.at);
                }
            }
            FtStatus::AllConfirmedDownloaded => push(out, "allconfirmeddownloaded", &sender, "Sender", e.at),
            FtStatus::Purged => {
                push(out, "filepurged", &sender, "Sender", e.at);
                let unconfirmed: Vec<&String> = ft
                    .recipients
                    .iter()
                    .filter(|r| ft.recipient_overview(r).0 < ActorStatus::DownloadConfirmed)
                    .collect();
                for r in &unconfirmed {
                    push(out, "fileneverconfirmeddownloaded", r, "Recipient", e.at);
                }
                if !unconfirmed.is_empty() {
                    push(out, "fileneverconfirmeddownloaded", &sender, "Sender", e.at);
                }
            }
            _ => {}
        }
    }
    for e in &ft.recipient_history {
        if e.status == ActorStatus::DownloadConfirmed {
            push(out, "downloadconfirmed", &e.recipient, "Recipient", e.at);
            push(out, "downloadconfirmed", &sender, "Sender", e.at);
        }
    }
}

/// `GET /events/api/v1/events?resource=urn:altinn:resource:<id>&after=<id|0>&type=&subject=&size=`
/// (scope `altinn:events.subscribe`). Only events whose subject is the caller's
/// organisation are returned; `next` points at the following page.
async fn events(State(app): State<App>, headers: HeaderMap, Query(q): Query<BTreeMap<String, String>>) -> Response {
    let c = match authenticate(&app, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !c.has_scope("altinn:events.subscribe") {
        return errors::forbidden();
    }
    let Some(resource) = q.get("resource").cloned() else {
        return errors::validation(json!({"resource": ["The resource field is required."]}));
    };
    let Some(after) = q.get("after").cloned() else {
        return errors::validation(json!({"after": ["The after field is required."]}));
    };
    let size: usize = q.get("size").and_then(|s| s.parse().ok()).unwrap_or(50).clamp(1, 1000);
    let org = c.org.clone().unwrap_or_default();
    let subject = q.get("subject").cloned();
    let ty = q.get("type").cloned();
    let mut all = vec![];
    app.read(|s| {
        for ft in s.transfers.values() {
            if format!("urn:altinn:resource:{}", ft.resource_id) == resource {
                transfer_events(&app.base, ft, &mut all);
            }
        }
    });
    all.sort_by(|a, b| a.at.cmp(&b.at).then(a.id.cmp(&b.id)));
    let start = if after == "0" {
        0
    } else {
        match all.iter().position(|e| e.id.to_string() == after) {
            Some(i) => i + 1,
            None => all.len(),
        }
    };
    let page: Vec<&Ev> = all[start..]
        .iter()
        .filter(|e| e.subject_org == org)
        .filter(|e| subject.as_ref().map(|s| e.body["subject"] == *s).unwrap_or(true))
        .filter(|e| ty.as_ref().map(|t| e.body["type"] == *t).unwrap_or(true))
        .take(size)
        .collect();
    let body: Vec<Value> = page.iter().map(|e| e.body.clone()).collect();
    let mut r = errors::json_response(200, &Value::Array(body));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/cloudevents+json"));
    let last = page.last().map(|e| e.id.to_string()).unwrap_or(after);
    let next = format!("{}/events/api/v1/events?resource={resource}&after={last}&size={size}", app.base);
    if let Ok(v) = HeaderValue::from_str(&next) {
        r.headers_mut().insert("next", v);
    }
    r
}
