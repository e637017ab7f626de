//! The authentication API's error shapes (Altinn.Authorization.ProblemDetails):
//! a problem is `{type: "urn:altinn:error:AUTH-000nn", title, status, code,
//! traceId, statusDescription}` with the descriptor's title and no detail;
//! validation problems are `STD-00000` with a `validationErrors` array of
//! `{code: "AUTH.VLD-000nn", title, paths, ...}`. Codes, statuses and titles
//! are those of Problem.cs and ValidationErrors.cs in Altinn/altinn-authentication
//! (docs/ALTINN.md#system-users).

use axum::response::Response;
use serde_json::{json, Map, Value};

use crate::errors::{json_response, trace_id};

/// (status, title) of an `AUTH-000nn` problem the sandbox can give.
pub fn auth_def(n: u32) -> (u16, &'static str) {
    match n {
        0 => (400, "Can't resolve the Organisation Number from the logged in Reportee PartyId."),
        1 => (400, "One or more Right not found or not delegable."),
        4 => (400, "Failed to create new SystemUser, existing SystemUser tied to the given System-Id."),
        6 => (400, "The combination of External Ids refer to an already Accepted SystemUser."),
        7 => (400, "The combination of External Ids refer to a Pending Request, please reuse or delete."),
        8 => (400, "The combination of External Ids refer to a Denied Request, please delete and renew the Request."),
        9 => (400, "The combination of External Ids refer to a Rejected Request, please delete and renew the Request."),
        10 => (404, "The Id does not refer to a Request in our system."),
        11 => (404, "The Id does not refer to a Registered System."),
        13 => (409, "The Status of the Request is not New."),
        15 => (404, "The SystemUser was not found."),
        16 => (403, "DelegationCheck failed with error: Has not access by a delegation of role in ER or Altinn."),
        21 => (400, "The RedirectUri was not found or not valid."),
        23 => (401, "Can't resolve the Organisation Number for the Vendor from the Token."),
        26 => (400, "No redirect uris are set for the system"),
        59 => (400, "No AccessPackages or Single Rights found, a SystemUser must have at least one"),
        61 => {
            (409, "The Status of the Request is not New. Please generate a new CorrellationId for a new Change Request")
        }
        69 => (
            403,
            "DelegationCheck failed with error: The receiver does not have the right based on Access List delegation.",
        ),
        _ => (400, "Default error at the end of logic chain. Not supposed to appear."),
    }
}

fn status_description(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        _ => "Error",
    }
}

/// An `AUTH-000nn` problem as the authentication API writes it.
pub fn auth(n: u32) -> Response {
    let (status, title) = auth_def(n);
    let code = format!("AUTH-{n:05}");
    json_response(
        status,
        &json!({
            "type": format!("urn:altinn:error:{code}"),
            "title": title,
            "status": status,
            "code": code,
            "traceId": trace_id(),
            "statusDescription": status_description(status),
        }),
    )
}

/// One validation error: `AUTH.VLD-000nn`, its title, the JSON paths and an
/// optional extension (Altinn puts e.g. `"ResourceIds Not Found : ": "x"`).
pub struct Vld {
    pub n: u32,
    pub path: &'static str,
    pub extension: Option<(&'static str, String)>,
}

/// (title) of an `AUTH.VLD-000nn` validation error (ValidationErrors.cs).
pub fn vld_title(n: u32) -> &'static str {
    match n {
        0 => "the org number identifier is not valid ISO6523 identifier",
        1 => "The system id does not match the format orgnumber_xxxx...",
        2 => "The system id already exists",
        3 => "One or more resources specified in rights were not found in Altinn's resource register.",
        4 => "One of the client id is already tagged with an existing system",
        5 => "One or more of the redirect urls format is not valid. The valid format is https://xxx.xx",
        6 => "One or more duplicate rights found",
        7 => "One or more duplicate access package(s) found",
        8 => "One or all the accesspackage(s) is not found in altinn's access packages or is not delegable",
        9 => "One or more resource id is in wrong format. The valid format is urn:altinn:resource",
        11 => "Request contains duplicate client ids",
        12 => "The system ID in the request body does not match the system ID in the URL",
        13 => "System ID cannot have spaces in id (leading, trailing or in between the id)",
        17 => "One or more resources specified in rights is of resource type which is not delegable.",
        _ => "One or more validation errors occurred.",
    }
}

/// Error paths (ErrorPathConstant.cs).
pub const VENDOR_ID: &str = "/registersystemrequest/vendor/id";
pub const SYSTEM_ID: &str = "/registersystemrequest/systemid";
pub const REDIRECT_URLS: &str = "/registersystemrequest/allowedredirecturls";
pub const CLIENT_ID: &str = "/registersystemrequest/clientid";
pub const ACCESS_PACKAGES: &str = "/registersystemrequest/accesspackages";
pub const RESOURCE_RIGHTS: &str = "/registersystemrequest/rights/resource";

/// A `STD-00000` validation problem with `validationErrors`.
pub fn validation(errors: &[Vld]) -> Response {
    let list: Vec<Value> = errors
        .iter()
        .map(|e| {
            let mut m = Map::new();
            m.insert("code".into(), json!(format!("AUTH.VLD-{:05}", e.n)));
            m.insert("title".into(), json!(vld_title(e.n)));
            m.insert("paths".into(), json!([e.path]));
            if let Some((k, v)) = &e.extension {
                m.insert((*k).into(), json!(v));
            }
            Value::Object(m)
        })
        .collect();
    json_response(
        400,
        &json!({
            "type": "urn:altinn:error:STD-00000",
            "title": "One or more validation errors occurred.",
            "status": 400,
            "code": "STD-00000",
            "traceId": trace_id(),
            "statusDescription": "Bad Request",
            "validationErrors": list,
        }),
    )
}
