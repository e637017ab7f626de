//! What a sender or recipient reads: overview, details (rate limited),
//! search, download (with ranges) and confirm download.

use budbringer_core::sync::Locked;
use std::collections::BTreeMap;
use std::io::SeekFrom;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};
use tokio::io::AsyncSeekExt;
use uuid::Uuid;

use super::access::{
    authz, broker_limited, caller_actor, check_accept, get_ft, is_recipient, is_sender, parse_id, pdp, rate_limited,
    Policy, P,
};
use crate::app::App;
use crate::auth::Caller;
use crate::errors::{bro, json_response, validation};
use crate::faults;
use crate::model::{fmt_ts, ActorStatus, FileTransfer, FtStatus};

fn overview_json(ft: &FileTransfer, published: bool) -> Value {
    let cur = ft.current();
    let recipients: Vec<Value> = ft
        .recipients
        .iter()
        .map(|r| {
            let (st, at) = ft.recipient_overview(r);
            json!({
                "recipient": r,
                "currentRecipientFileTransferStatusCode": format!("{st:?}"),
                "currentRecipientFileTransferStatusText": st.text(),
                "currentRecipientFileTransferStatusChanged": fmt_ts(at),
            })
        })
        .collect();
    let mut v = json!({
        "fileTransferId": ft.id,
        "resourceId": ft.resource_id,
        "fileName": ft.file_name,
        "sendersFileTransferReference": ft.senders_reference,
        "checksum": ft.checksum_out(),
        "useVirusScan": ft.use_virus_scan,
        "fileTransferSize": ft.size,
        "fileTransferStatus": format!("{:?}", cur.status),
        "fileTransferStatusText": cur.text.clone().unwrap_or_else(|| cur.status.default_text().to_string()),
        "fileTransferStatusChanged": fmt_ts(cur.at),
        "created": fmt_ts(ft.created),
        "expirationTime": fmt_ts(ft.expiration),
        "sender": ft.sender,
        "recipients": recipients,
        "propertyList": ft.property_list,
    });
    if published {
        // Both the overview and the details map it (MapBaseProperties), null until published.
        v["published"] = ft
            .history
            .iter()
            .filter(|e| e.status == FtStatus::Published)
            .map(|e| e.at)
            .min()
            .map(|t| Value::String(fmt_ts(t)))
            .unwrap_or(Value::Null);
    }
    v
}

fn read_access(app: &App, headers: &HeaderMap, id: &str) -> Result<(Caller, FileTransfer), Response> {
    check_accept(headers, "application/json")?;
    let c = authz(app, headers, Policy::SenderOrRecipient)?;
    let id = parse_id(id)?;
    let Some(ft) = get_ft(app, id) else { return Err(bro(1)) };
    if !is_sender(app, &c, &ft) && !is_recipient(app, &c, &ft) {
        return Err(bro(6));
    }
    Ok((c, ft))
}

pub(super) async fn overview(State(app): State<App>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Ok(c) = authz(&app, &headers, Policy::SenderOrRecipient) {
        if let Some(r) = broker_limited(&app, "overview", &c) {
            return r;
        }
    }
    match read_access(&app, &headers, &id) {
        Ok((_, ft)) => json_response(200, &overview_json(&ft, true)),
        Err(r) => r,
    }
}

pub(super) async fn details(State(app): State<App>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Ok(c) = authz(&app, &headers, Policy::SenderOrRecipient) {
        let limit = app.read(|s| s.settings.details_rate_limit_per_minute);
        if let Some(r) = rate_limited(&app, "details", &c, limit) {
            return r;
        }
    }
    let ft = match read_access(&app, &headers, &id) {
        Ok((_, ft)) => ft,
        Err(r) => return r,
    };
    let mut v = overview_json(&ft, true);
    let mut hist = ft.history.clone();
    hist.sort_by_key(|e| e.at);
    v["fileTransferStatusHistory"] = hist
        .iter()
        .map(|e| {
            json!({
                "fileTransferStatus": format!("{:?}", e.status),
                "fileTransferStatusText": e.text.clone().unwrap_or_else(|| e.status.default_text().to_string()),
                "fileTransferStatusChanged": fmt_ts(e.at),
            })
        })
        .collect();
    v["recipientFileTransferStatusHistory"] = ft
        .recipient_history
        .iter()
        .map(|e| {
            json!({
                "recipient": e.recipient,
                "recipientFileTransferStatusCode": format!("{:?}", e.status),
                "recipientFileTransferStatusText": e.status.text(),
                "recipientFileTransferStatusChanged": fmt_ts(e.at),
            })
        })
        .collect();
    json_response(200, &v)
}

/// `DateTimeOffset?` from the query as MVC binds it: DateTimeOffset.Parse with
/// the invariant culture. ISO 8601 with or without offset, a space for the
/// `T`, a bare date, `yyyy/MM/dd`, the invariant `M/d/yyyy [h:mm[:ss] [AM|PM]]`,
/// RFC 1123 and `d MMM yyyy` / `MMM d, yyyy`. Without an offset the time is the
/// server's own zone, which is UTC in Broker's containers. An unencoded `+`
/// arrives as a blank and fails, as it does there.
pub(super) fn parse_dt(s: &str) -> Option<time::OffsetDateTime> {
    use time::format_description::well_known::{Iso8601, Rfc2822, Rfc3339};
    use time::macros::format_description;
    let s = s.trim();
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    // ISO 8601 with a blank for the `T`, reduced precision or a `+hhmm` offset.
    let iso = match s.as_bytes().get(10) {
        Some(b' ') if s.len() > 11 && s.as_bytes()[4] == b'-' => format!("{}T{}", &s[..10], &s[11..]),
        _ => s.to_string(),
    };
    if let Ok(t) = time::OffsetDateTime::parse(&iso, &Iso8601::DEFAULT) {
        return Some(t);
    }
    if let Ok(p) = time::PrimitiveDateTime::parse(&iso, &Iso8601::DEFAULT) {
        return Some(p.assume_utc());
    }
    for f in [format_description!("[year]-[month]-[day]"), format_description!("[year]/[month]/[day]")] {
        if let Ok(d) = time::Date::parse(s, &f) {
            return Some(d.midnight().assume_utc());
        }
    }
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc2822) {
        return Some(t);
    }
    if let Ok(t) = httpdate::parse_http_date(s) {
        return Some(t.into());
    }
    us_date(s).or_else(|| named_month(s))
}

/// The invariant culture's short forms: `M/d/yyyy`, then `h:mm[:ss]`, then `AM`/`PM`.
fn us_date(s: &str) -> Option<time::OffsetDateTime> {
    let mut parts = s.split_whitespace();
    let mut d = parts.next()?.split('/');
    let (m, day, y) = (d.next()?.parse::<u8>().ok()?, d.next()?.parse::<u8>().ok()?, d.next()?.parse::<i32>().ok()?);
    if d.next().is_some() || y < 1000 {
        return None;
    }
    let date = time::Date::from_calendar_date(y, time::Month::try_from(m).ok()?, day).ok()?;
    let (mut h, mut min, mut sec) = (0u8, 0u8, 0u8);
    if let Some(clock) = parts.next() {
        let mut c = clock.split(':');
        h = c.next()?.parse().ok()?;
        min = c.next()?.parse().ok()?;
        sec = c.next().map(|x| x.parse().ok()).unwrap_or(Some(0))?;
        match parts.next().map(|x| x.to_ascii_uppercase()) {
            None => {}
            Some(ap) if ap == "AM" && (1..=12).contains(&h) => h %= 12,
            Some(ap) if ap == "PM" && (1..=12).contains(&h) => h = h % 12 + 12,
            Some(_) => return None,
        }
    }
    if parts.next().is_some() {
        return None;
    }
    Some(date.with_hms(h, min, sec).ok()?.assume_utc())
}

/// `18 Aug 2026`, `18 August 2026`, `Aug 18, 2026`, `August 18 2026` (English month names).
fn named_month(s: &str) -> Option<time::OffsetDateTime> {
    let words: Vec<&str> = s.split(|c: char| c.is_whitespace() || c == ',').filter(|w| !w.is_empty()).collect();
    let month = |w: &str| {
        let w = w.to_ascii_lowercase();
        let names = [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ];
        names.iter().position(|n| w.len() >= 3 && n.starts_with(&w)).map(|i| i as u8 + 1)
    };
    let (m, d, y) = match words.as_slice() {
        [d, m, y] if d.parse::<u8>().is_ok() => (month(m)?, d.parse::<u8>().ok()?, y.parse::<i32>().ok()?),
        [m, d, y] => (month(m)?, d.parse::<u8>().ok()?, y.parse::<i32>().ok()?),
        _ => return None,
    };
    let date = time::Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()?;
    Some(date.midnight().assume_utc())
}

pub(super) async fn search(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Err(r) = check_accept(&headers, "application/json") {
        return r;
    }
    let c = match authz(&app, &headers, Policy::SenderOrRecipient) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let limit = app.read(|s| s.settings.search_rate_limit_per_minute);
    if let Some(r) = rate_limited(&app, "search", &c, limit) {
        return r;
    }
    let q: BTreeMap<String, String> = q.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
    let mut errs = Map::new();
    let Some(resource_id) = q.get("resourceid").filter(|r| !r.is_empty()).cloned() else {
        return validation(json!({"resourceId": ["The resourceId field is required."]}));
    };
    let status = match q.get("status") {
        Some(s) => match FtStatus::parse(s) {
            Some(x) => Some(x),
            None => {
                errs.insert("status".into(), json!([format!("The value '{s}' is not valid for status.")]));
                None
            }
        },
        None => None,
    };
    let rstatus = match q.get("recipientstatus") {
        Some(s) => match ActorStatus::parse(s) {
            Some(x) => Some(x),
            None => {
                errs.insert(
                    "recipientStatus".into(),
                    json!([format!("The value '{s}' is not valid for recipientStatus.")]),
                );
                None
            }
        },
        None => None,
    };
    let mut dt = |k: &str, name: &str| match q.get(k) {
        Some(s) => match parse_dt(s) {
            Some(t) => Some(t),
            None => {
                errs.insert(name.into(), json!([format!("The value '{s}' is not valid for {name}.")]));
                None
            }
        },
        None => None,
    };
    let from = dt("from", "from");
    let to = dt("to", "to");
    let asc = match q.get("orderascending").map(|s| s.to_ascii_lowercase()) {
        None => false,
        Some(s) if s == "true" => true,
        Some(s) if s == "false" => false,
        Some(s) => {
            errs.insert("orderAscending".into(), json!([format!("The value '{s}' is not valid.")]));
            false
        }
    };
    let role = match q.get("role").map(|s| s.to_ascii_lowercase()) {
        None => None,
        Some(s) if s == "sender" => Some("sender"),
        Some(s) if s == "recipient" => Some("recipient"),
        Some(s) => {
            errs.insert("role".into(), json!([format!("The value '{s}' is not valid for role.")]));
            None
        }
    };
    if !errs.is_empty() {
        return validation(Value::Object(errs));
    }
    let Some(org) = c.org.clone() else { return bro(6) };
    if !(pdp(&app, &c, &resource_id, &org, "read") && pdp(&app, &c, &resource_id, &org, "write")) {
        return bro(6);
    }
    let actor = caller_actor(&c);
    let mut hits: Vec<(time::OffsetDateTime, Uuid)> = app.read(|s| {
        s.transfers
            .values()
            .filter(|ft| ft.resource_id == resource_id)
            .filter(|ft| {
                if let Some(rs) = rstatus {
                    return ft.recipients.contains(&actor) && ft.recipient_latest(&actor) == Some(rs);
                }
                let as_sender = ft.sender == actor;
                let as_recipient = ft.recipients.contains(&actor);
                match role {
                    Some("sender") => as_sender,
                    Some("recipient") => as_recipient,
                    _ => as_sender || as_recipient,
                }
            })
            .filter(|ft| status.map(|st| ft.status() == st).unwrap_or(true))
            .filter_map(|ft| {
                let t = match status {
                    Some(st) => ft.history.iter().filter(|e| e.status == st).map(|e| e.at).max()?,
                    None => ft.created,
                };
                let ok = match (from, to) {
                    (Some(f), Some(tt)) => t >= f && t <= tt,
                    (Some(f), None) => t > f,
                    (None, Some(tt)) => t < tt,
                    (None, None) => true,
                };
                ok.then_some((t, ft.id))
            })
            .collect()
    });
    hits.sort();
    if !asc {
        hits.reverse();
    }
    let ids: Vec<String> = hits.into_iter().take(100).map(|(_, i)| i.to_string()).collect();
    json_response(200, &json!(ids))
}

enum RangeReq {
    None,
    Range(u64, u64),
    Unsatisfiable,
}

fn parse_range(h: Option<&str>, size: u64) -> RangeReq {
    let Some(h) = h else { return RangeReq::None };
    let Some(spec) = h.trim().strip_prefix("bytes=") else { return RangeReq::None };
    if spec.contains(',') {
        return RangeReq::None;
    }
    let Some((a, b)) = spec.trim().split_once('-') else { return RangeReq::None };
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        let Ok(n) = b.parse::<u64>() else { return RangeReq::None };
        if n == 0 || size == 0 {
            return RangeReq::Unsatisfiable;
        }
        let n = n.min(size);
        return RangeReq::Range(size - n, size - 1);
    }
    let Ok(start) = a.parse::<u64>() else { return RangeReq::None };
    let end = if b.is_empty() {
        size.saturating_sub(1)
    } else {
        match b.parse::<u64>() {
            Ok(e) if e >= start => e.min(size.saturating_sub(1)),
            _ => return RangeReq::None,
        }
    };
    if start >= size {
        return RangeReq::Unsatisfiable;
    }
    RangeReq::Range(start, end)
}

pub(super) async fn download(State(app): State<App>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let c = match authz(&app, &headers, Policy::Recipient) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Some(r) = broker_limited(&app, "download", &c) {
        return r;
    }
    let id = match parse_id(&id) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let Some(ft) = get_ft(&app, id) else { return bro(1) };
    if !is_recipient(&app, &c, &ft) {
        return bro(6);
    }
    if !matches!(ft.status(), FtStatus::Published | FtStatus::AllConfirmedDownloaded) {
        return bro(7);
    }
    if !ft.has_file {
        return bro(3);
    }
    let size = ft.size;
    let range = parse_range(headers.get(header::RANGE).and_then(|v| v.to_str().ok()), size);
    let (start, end, partial) = match range {
        RangeReq::Unsatisfiable => return bro(29),
        RangeReq::None => (0, size.saturating_sub(1), false),
        RangeReq::Range(a, b) => (a, b, true),
    };
    app.counters.locked().download_starts.entry(id).or_default().push(start);
    let actor = caller_actor(&c);
    let now = app.clock.now();
    app.update_transfer(id, |ft| {
        if partial {
            let due =
                ft.last_range_download.get(&actor).map(|t| now - *t >= time::Duration::minutes(5)).unwrap_or(true);
            if due {
                ft.last_range_download.insert(actor.clone(), now);
                ft.add_actor(&actor, ActorStatus::DownloadStarted, now);
            }
        } else {
            ft.add_actor(&actor, ActorStatus::DownloadStarted, now);
        }
    });
    let len = if size == 0 { 0 } else { end - start + 1 };
    let path_key = format!("{P}/filetransfer/{id}/download");
    let drop_after = app.faults.locked().take_drop(&path_key);
    let truncate = app.faults.locked().take_truncate(&path_key);
    let mut f = match tokio::fs::File::open(app.file_path(id)).await {
        Ok(f) => f,
        Err(_) => return bro(3),
    };
    if f.seek(SeekFrom::Start(start)).await.is_err() {
        return bro(3);
    }
    use tokio::io::AsyncReadExt;
    let send_len = truncate.map(|t| t.min(len)).unwrap_or(len);
    let reader = tokio_util::io::ReaderStream::with_capacity(f.take(send_len), 64 * 1024);
    let body = match drop_after {
        Some(d) => faults::cut_after(reader, d),
        None => Body::from_stream(reader),
    };
    let mut r = Response::builder()
        .status(if partial { StatusCode::PARTIAL_CONTENT } else { StatusCode::OK })
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::CONTENT_LENGTH, send_len.to_string())
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_DISPOSITION, content_disposition(&ft.file_name));
    if partial {
        r = r.header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{size}"));
    }
    r.body(body).expect("the download headers are valid")
}

pub(super) async fn confirm(State(app): State<App>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Err(r) = check_accept(&headers, "application/json") {
        return r;
    }
    let c = match authz(&app, &headers, Policy::Recipient) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Some(r) = broker_limited(&app, "confirm", &c) {
        return r;
    }
    let id = match parse_id(&id) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let Some(ft) = get_ft(&app, id) else { return bro(1) };
    if !is_recipient(&app, &c, &ft) {
        return bro(6);
    }
    // FileLocation stays set after a purge, so a purged transfer is "not published".
    if !(ft.has_file || ft.file_location) {
        return bro(3);
    }
    if ft.status() != FtStatus::Published {
        return bro(10);
    }
    let actor = caller_actor(&c);
    if ft.recipient_overview(&actor).0 == ActorStatus::DownloadConfirmed {
        return StatusCode::NO_CONTENT.into_response();
    }
    if !ft.recipient_history.iter().any(|e| e.recipient == actor && e.status == ActorStatus::DownloadStarted) {
        return bro(19);
    }
    let now = app.clock.now();
    let (purge, grace) = app.read(|s| {
        s.resources
            .get(&ft.resource_id)
            .map(|r| {
                (
                    r.purge_file_transfer_after_all_recipients_confirmed,
                    r.purge_file_transfer_grace_period.unwrap_or(7200),
                )
            })
            .unwrap_or((true, 7200))
    });
    let confirmed = app.update_transfer(id, |ft| {
        ft.add_actor(&actor, ActorStatus::DownloadConfirmed, now);
        let all = ft.recipients.iter().all(|r| ft.recipient_overview(r).0 == ActorStatus::DownloadConfirmed);
        if all {
            // After the recipient's DownloadConfirmed (events come in that order).
            ft.set_status(FtStatus::AllConfirmedDownloaded, None, now + time::Duration::microseconds(1));
            if purge {
                ft.purge_at = Some(now + time::Duration::seconds(grace));
            }
        }
    });
    if confirmed.is_none() {
        return bro(1);
    }
    StatusCode::NO_CONTENT.into_response()
}

/// `File(stream, type, fileDownloadName)`: ContentDispositionHeaderValue with
/// SetHttpFileName. `filename` has every character outside printable ASCII
/// replaced by `_` and is quoted only when it is not a token; `filename*`
/// percent-encodes (upper-case hex, UTF-8) all but RFC 5987's attr-chars.
pub(super) fn content_disposition(name: &str) -> String {
    if name.is_empty() {
        return "attachment".into();
    }
    let ascii: String = name.chars().map(|c| if (c as u32) < 0x20 || (c as u32) > 0x7f { '_' } else { c }).collect();
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    let filename = if ascii.chars().all(token) {
        ascii
    } else {
        format!("\"{}\"", ascii.replace('\\', "\\\\").replace('"', "\\\""))
    };
    let mut star = String::from("UTF-8''");
    for c in name.chars() {
        if token(c) && !matches!(c, '*' | '\'' | '%') {
            star.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                star.push_str(&format!("%{b:02X}"));
            }
        }
    }
    format!("attachment; filename={filename}; filename*={star}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_the_search_accepts() {
        let at = |s: &str| parse_dt(s).map(|t| t.unix_timestamp());
        let noon = time::macros::datetime!(2026-08-18 12:00 UTC).unix_timestamp();
        let midnight = time::macros::datetime!(2026-08-18 0:00 UTC).unix_timestamp();
        for s in [
            "2026-08-18T12:00:00Z",
            "2026-08-18T12:00:00+00:00",
            "2026-08-18T14:00:00+02:00",
            "2026-08-18T12:00:00",
            "2026-08-18T12:00",
            "2026-08-18 12:00:00",
            "2026-08-18T12:00:00.1234567Z",
            "08/18/2026 12:00:00",
            "8/18/2026 12:00 PM",
            "Tue, 18 Aug 2026 12:00:00 GMT",
        ] {
            assert_eq!(at(s), Some(noon), "{s}");
        }
        for s in ["2026-08-18", "2026/08/18", "08/18/2026", "18 Aug 2026", "August 18, 2026"] {
            assert_eq!(at(s), Some(midnight), "{s}");
        }
        // An unencoded `+` arrives as a blank; and nonsense.
        for s in ["2026-08-18T14:00:00 02:00", "18/08/2026", "yesterday", "1723982400", ""] {
            assert_eq!(at(s), None, "{s}");
        }
    }

    #[test]
    fn content_disposition_as_aspnet_writes_it() {
        assert_eq!(
            content_disposition("rapport.pdf"),
            "attachment; filename=rapport.pdf; filename*=UTF-8''rapport.pdf"
        );
        assert_eq!(
            content_disposition("Årsrapport 2026.pdf"),
            "attachment; filename=\"_rsrapport 2026.pdf\"; filename*=UTF-8''%C3%85rsrapport%202026.pdf"
        );
        assert_eq!(content_disposition("a\"b.txt"), "attachment; filename=\"a\\\"b.txt\"; filename*=UTF-8''a%22b.txt");
    }
}
