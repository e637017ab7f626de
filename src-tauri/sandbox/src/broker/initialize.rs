//! `POST /filetransfer`: validation of `FileTransferInitalizeExt` and
//! InitializeFileTransferHandler, in the real service's order of checks.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{json, Value};
use uuid::Uuid;

use super::access::{authz, broker_limited, check_accept, is_json_ct, lower_keys, pdp, Policy};
use crate::app::App;
use crate::auth::Caller;
use crate::errors::{self, bro, json_response, validation};
use crate::model::{strip_org, ActorStatus, FileTransfer, FtStatus};

pub(super) struct InitReq {
    file_name: String,
    resource_id: String,
    senders_reference: String,
    sender: String,
    recipients: Vec<String>,
    property_list: BTreeMap<String, String>,
    checksum: Option<String>,
    disable_virus_scan: bool,
}

/// Model validation of FileTransferInitalizeExt (ValidationAttributes/*).
pub(super) fn validate_init(v: &Value) -> Result<InitReq, Response> {
    let o = lower_keys(v);
    let mut errs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut err = |k: &str, m: String| errs.entry(k.to_string()).or_default().push(m);

    // A field left out keeps the DTO's default ("" or an empty list); null is
    // null. MVC runs every attribute of a property, [Required] first, so a
    // missing string can carry two messages. Lengths count UTF-16 units.
    let utf16 = |x: &str| x.encode_utf16().count();
    let field = |k: &str| match o.get(k) {
        None => Some(String::new()),
        Some(Value::Null) => None,
        Some(v) => Some(v.as_str().map(String::from).unwrap_or_else(|| v.to_string())),
    };
    let required = |name: &str| format!("The {name} field is required.");
    let length = |name: &str, max: usize| {
        format!("The field {name} must be a string with a minimum length of 1 and a maximum length of {max}.")
    };

    let file_name = field("filename");
    match &file_name {
        None => err("FileName", required("FileName")),
        Some(f) if f.is_empty() => {
            err("FileName", required("FileName"));
            err("FileName", length("FileName", 255));
        }
        Some(f) if utf16(f) > 255 => err("FileName", length("FileName", 255)),
        _ => {}
    }
    let resource_id = field("resourceid");
    match &resource_id {
        None => {
            err("ResourceId", required("ResourceId"));
            err("ResourceId", "Invalid Resource identifier format".into());
        }
        Some(r) if r.is_empty() => {
            err("ResourceId", required("ResourceId"));
            err("ResourceId", length("ResourceId", 255));
        }
        Some(r) => {
            if utf16(r) > 255 {
                err("ResourceId", length("ResourceId", 255));
            }
            let rest = r.strip_prefix("urn:altinn:resource:").unwrap_or(r);
            if rest.is_empty() || rest.contains(':') || rest.chars().count() > 255 {
                err("ResourceId", "Invalid Resource identifier format".into());
            }
        }
    }
    let sref = field("sendersfiletransferreference");
    match &sref {
        // Not [Required], but a non-nullable string: null is implicitly required.
        None => err("SendersFileTransferReference", required("SendersFileTransferReference")),
        Some(r) if r.is_empty() || utf16(r) > 4096 => {
            err("SendersFileTransferReference", length("SendersFileTransferReference", 4096))
        }
        _ => {}
    }
    let sender = field("sender");
    match &sender {
        // The pattern attribute lets "" through; [Required] does not.
        None => err("Sender", required("Sender")),
        Some(x) if x.is_empty() => err("Sender", required("Sender")),
        Some(x) if !is_org_id(x) => err("Sender", "Organization numbers should be on the form countrycode:organizationnumber (e.g. 0192:910753614) or urn:altinn:organization:identifier-no:organizationnumber".into()),
        _ => {}
    }
    let mut recipients = vec![];
    match o.get("recipients") {
        Some(Value::Null) => err("Recipients", required("Recipients")),
        None => err("Recipients", "One or more recipients are required".into()),
        Some(Value::Array(a)) => {
            let items: Vec<String> = a.iter().map(|r| r.as_str().unwrap_or_default().to_string()).collect();
            // ValidateElementsInList: one message, for the first element the pattern refuses ("" passes).
            if items.iter().any(|x| !x.is_empty() && !is_org_id(x)) {
                err("Recipients", "Each recipient should be on the form countrycode:organizationnumber (e.g. 0192:910753614) or urn:altinn:organization:identifier-no:organizationnumber".into());
            }
            if items.is_empty() {
                err("Recipients", "One or more recipients are required".into());
            }
            recipients = items;
        }
        Some(_) => err(
            "$.recipients",
            "The JSON value could not be converted to System.Collections.Generic.List`1[System.String].".into(),
        ),
    }
    let mut property_list = BTreeMap::new();
    match o.get("propertylist") {
        None => {}
        Some(Value::Null) => err("PropertyList", required("PropertyList")),
        Some(Value::Object(m)) => {
            for (k, v) in m {
                property_list.insert(k.clone(), v.as_str().unwrap_or("").to_string());
            }
            // PropertyListAttribute stops at its first complaint.
            let first_bad = || {
                property_list.iter().find_map(|(k, v): (&String, &String)| {
                    if utf16(k) > 50 {
                        Some(format!("PropertyList Key can not be longer than 50. Length:{}, KeyValue:{k}", utf16(k)))
                    } else if utf16(v) > 3000 {
                        Some(format!("PropertyList Value can not be longer than 3000. Length:{}, Value:{v}", utf16(v)))
                    } else {
                        None
                    }
                })
            };
            if m.len() > 10 {
                err("PropertyList", "PropertyList can contain at most 10 properties".into());
            } else if let Some(msg) = first_bad() {
                err("PropertyList", msg);
            }
        }
        Some(_) => err("$.propertyList", "The JSON value could not be converted to System.Collections.Generic.Dictionary`2[System.String,System.String].".into()),
    }
    let checksum = match o.get("checksum") {
        None => Some(String::new()),
        Some(Value::Null) => None,
        Some(v) => v.as_str().map(String::from),
    };
    if let Some(c) = &checksum {
        if !c.trim().is_empty() {
            if c.len() != 32 {
                err("Checksum", "The checksum, if used, must be a MD5 hash with a length of 32 characters".into());
            } else if c.to_lowercase() != *c {
                err("Checksum", "The checksum, if used, must be a MD5 hash in lower case".into());
            }
        }
    }
    let disable_virus_scan = o.get("disablevirusscan").and_then(|v| v.as_bool()).unwrap_or(false);
    // Every missing required field left an entry in `errs`: without errors, all three are there.
    match (file_name, resource_id, sender) {
        (Some(file_name), Some(resource_id), Some(sender)) if errs.is_empty() => Ok(InitReq {
            file_name,
            resource_id: strip_org(&resource_id),
            senders_reference: sref.unwrap_or_default(),
            sender,
            recipients,
            property_list,
            checksum,
            disable_virus_scan,
        }),
        _ => Err(validation(Value::Object(errs.into_iter().map(|(k, v)| (k, Value::from(v))).collect()))),
    }
}

/// InitializeFileTransferHandler, in its order.
pub(super) fn init_core(app: &App, c: &Caller, req: InitReq) -> Result<Uuid, Response> {
    if !pdp(app, c, &req.resource_id, &req.sender, "write") {
        return Err(bro(6));
    }
    let now = app.clock.now();
    let (resource, so) = app.read(|s| {
        let r = s.resources.get(&req.resource_id).cloned();
        let so = r.as_ref().and_then(|r| s.service_owners.get(&r.service_owner).cloned());
        (r, so)
    });
    let Some(resource) = resource.filter(|r| r.configured) else { return Err(bro(25)) };
    let Some(so) = so else { return Err(bro(2)) };
    // BRO-00020 applies only in production; the sandbox is not production.
    if !so.storage_ready {
        return Err(bro(21));
    }
    if !resource.in_resource_registry {
        return Err(bro(5));
    }
    let recipients: Vec<String> = req.recipients.iter().map(|r| format!("0192:{}", strip_org(r))).collect();
    if resource.access_list_enabled && recipients.iter().any(|r| !resource.access_list.contains(&strip_org(r))) {
        return Err(bro(28));
    }
    if let Some(rp) = &resource.required_party {
        if &strip_org(&req.sender) != rp {
            if recipients.len() > 1 {
                return Err(bro(27));
            }
            if recipients.first().map(|r| strip_org(r)) != Some(rp.clone()) {
                return Err(bro(26));
            }
        }
    }
    let id = Uuid::new_v4();
    let ttl = resource.file_transfer_time_to_live.unwrap_or(30 * 86400);
    let mut ft = FileTransfer {
        id,
        resource_id: req.resource_id,
        file_name: req.file_name,
        senders_reference: req.senders_reference,
        sender: req.sender,
        recipients: recipients.clone(),
        property_list: req.property_list,
        // As sent: "" when left out (the DTO's default), None when null.
        user_checksum: req.checksum,
        computed_checksum: None,
        use_virus_scan: !req.disable_virus_scan && resource.malware_scan,
        size: 0,
        created: now,
        expiration: now + time::Duration::seconds(ttl),
        history: vec![],
        recipient_history: vec![],
        has_file: false,
        tus: None,
        processing_pending: false,
        purge_at: None,
        last_range_download: BTreeMap::new(),
        last_tus_activity: None,
        tus_sessions: BTreeMap::new(),
        file_location: false,
    };
    for r in &recipients {
        ft.add_actor(r, ActorStatus::Initialized, now);
    }
    ft.set_status(FtStatus::Initialized, None, now);
    app.mutate(|s| s.transfers.insert(id, ft));
    Ok(id)
}

pub(super) async fn initialize(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = check_accept(&headers, "application/json") {
        return r;
    }
    let c = match authz(&app, &headers, Policy::Sender) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Some(r) = broker_limited(&app, "initialize", &c) {
        return r;
    }
    if !is_json_ct(&headers) {
        return errors::unsupported_media();
    }
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return validation(json!({
                "$": [format!("The JSON value could not be converted to Altinn.Broker.Models.FileTransferInitalizeExt. {e}")],
                "fileTransferInitializeExt": ["The fileTransferInitializeExt field is required."],
            }))
        }
    };
    let req = match validate_init(&v) {
        Ok(r) => r,
        Err(r) => return r,
    };
    match init_core(&app, &c, req) {
        Ok(id) => json_response(200, &json!({"fileTransferId": id})),
        Err(r) => r,
    }
}

fn is_org_id(s: &str) -> bool {
    let digits9 = |x: &str| x.len() == 9 && x.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = s.strip_prefix("urn:altinn:organization:identifier-no:") {
        return digits9(rest);
    }
    match s.split_once(':') {
        Some((cc, org)) => cc.len() == 4 && cc.bytes().all(|b| b.is_ascii_digit()) && digits9(org),
        None => false,
    }
}
