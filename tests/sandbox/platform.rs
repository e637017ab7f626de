//! System register, system-user requests, the approval page and the AUTH
//! error codes, as Altinn/altinn-authentication answers them (status, body
//! shape, order of checks; docs/ALTINN.md#system-users).

use serde_json::{json, Value};

use crate::common::*;

const REG: &str = "altinn:authentication/systemregister.write";
const REQW: &str = "altinn:authentication/systemuser.request.write";
const REQR: &str = "altinn:authentication/systemuser.request.read";
const REQUESTS: &str = "/authentication/api/v1/systemuser/request/vendor";

fn system(org: &str, client: &str) -> Value {
    json!({
        "id": format!("{org}_budbringer"),
        "vendor": {"authority": "iso6523-actorid-upis", "ID": format!("0192:{org}")},
        "name": {"nb": "Budbringer", "nn": "Budbringar", "en": "Budbringer"},
        "description": {"nb": "x", "nn": "x", "en": "x"},
        "rights": [{"resource": [{"id": "urn:altinn:resource", "value": RES}]}],
        "clientId": [client],
        "allowedredirecturls": ["https://example.org/done"],
        "isVisible": false,
    })
}

async fn post(e: &Env, path: &str, tok: &str, body: &Value) -> reqwest::Response {
    e.http.post(e.url(path)).bearer_auth(tok).json(body).send().await.unwrap()
}

async fn get(e: &Env, path: &str, tok: &str) -> reqwest::Response {
    e.http.get(e.url(path)).bearer_auth(tok).send().await.unwrap()
}

/// The codes of a validation problem (`STD-00000` with `validationErrors`).
fn vld_codes(v: &Value) -> Vec<String> {
    assert_eq!(v["code"], "STD-00000", "{v}");
    v["validationErrors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap().to_owned()).collect()
}

/// Presses a button on the approval page (a form post, as the browser does).
async fn answer(e: &Env, confirm: &str, what: &str) -> reqwest::Response {
    let id = confirm.split("id=").nth(1).unwrap().split('&').next().unwrap();
    let action = confirm.split('?').next().unwrap().to_owned() + "/answer";
    e.http
        .post(action)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("id={id}&approver=dagl&answer={what}"))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn register_request_approve_and_use_a_system_user() {
    let e = start().await;
    let t = e.tok(A, &format!("{REG} {REQW} {REQR}"));
    let r = post(&e, "/authentication/api/v1/systemregister/vendor", &t, &system(A, "client-a")).await;
    assert_eq!(r.status(), 200);
    // Same id again: a validation problem with AUTH.VLD-00002 (and -00004, the client is taken).
    let (s, v) =
        problem(post(&e, "/authentication/api/v1/systemregister/vendor", &t, &system(A, "client-a")).await).await;
    assert_eq!(s, 400);
    assert_eq!(vld_codes(&v), ["AUTH.VLD-00002", "AUTH.VLD-00004"]);
    assert_eq!(v["validationErrors"][0]["paths"][0], "/registersystemrequest/systemid");
    let mut upd = system(A, "client-a");
    upd["isVisible"] = json!(true);
    let r = e
        .http
        .put(e.url(&format!("/authentication/api/v1/systemregister/vendor/{A}_budbringer")))
        .bearer_auth(&t)
        .json(&upd)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"succeeded": true}));

    let req = json!({"systemId": format!("{A}_budbringer"), "partyOrgNo": A,
        "rights": [{"resource": [{"id": "urn:altinn:resource", "value": RES}]}]});
    let r = post(&e, REQUESTS, &t, &req).await;
    assert_eq!(r.status(), 201);
    assert!(r.headers().get("location").is_some());
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "New");
    assert_eq!(v["timedOut"], false);
    assert_eq!(v["externalRef"], A);
    let rid = v["id"].as_str().unwrap().to_string();
    let confirm = v["confirmUrl"].as_str().unwrap().to_string();
    assert_eq!(confirm, format!("{}/accessmanagement/ui/systemuser/request?id={rid}&DONTCHOOSEREPORTEE=true", e.base));
    // The same request again answers 200 with the pending one (the controller reuses it).
    let r = post(&e, REQUESTS, &t, &req).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["id"], rid.as_str());
    // The approval page has Approve and Reject buttons; press Approve.
    let page = e.http.get(&confirm).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("id=\"approve\"") && page.contains("id=\"reject\""), "{page}");
    let r = answer(&e, &confirm, "approve").await;
    assert!(r.status().is_success() || r.status().is_redirection());
    let v: Value = get(&e, &format!("{REQUESTS}/{rid}"), &t).await.json().await.unwrap();
    assert_eq!(v["status"], "Accepted");
    let r =
        get(&e, &format!("/authentication/api/v1/systemuser/vendor/byquery?system-id={A}_budbringer&orgno={A}"), &t)
            .await;
    assert_eq!(r.status(), 200);
    let su: Value = r.json().await.unwrap();
    assert!(su["id"].is_string());
    // byquery takes systemuser.request.write, not .read.
    let r = get(
        &e,
        &format!("/authentication/api/v1/systemuser/vendor/byquery?system-id={A}_budbringer&orgno={A}"),
        &e.tok(A, REQR),
    )
    .await;
    assert_eq!(r.status(), 403);
    // A new request for the same system and org → AUTH-00004 (400).
    let (s, v) = problem(post(&e, REQUESTS, &t, &req).await).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("AUTH-00004")));
    assert_eq!(v["type"], "urn:altinn:error:AUTH-00004");
    // The system user can now get a Maskinporten token for client-a, with the
    // documented 0192: form and with a bare organisation number (issue 14).
    e.register("client-a", A, RW);
    for id in [format!("0192:{A}"), A.to_string()] {
        let mut c = e.claims("client-a", "altinn:broker.write");
        c["authorization_details"] = json!([{"type": "urn:altinn:systemuser", "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": id}}]);
        let (s, v) = e.post_grant(&sign(&c, jsonwebtoken::Algorithm::RS256, Some("test-kid"), key())).await;
        assert_eq!(s, 200, "{v}");
    }
}

#[tokio::test]
async fn request_error_codes_rejection_and_renewal() {
    let e = start().await;
    let t = e.tok(A, &format!("{REG} {REQW} {REQR}"));
    let req = |sys: &str, redirect: Option<&str>| {
        let mut r = json!({"systemId": sys, "partyOrgNo": A, "externalRef": "e1",
            "rights": [{"resource": [{"id": "urn:altinn:resource", "value": RES}]}]});
        if let Some(u) = redirect {
            r["redirectUrl"] = json!(u);
        }
        r
    };
    let (s, v) = problem(post(&e, REQUESTS, &t, &req("nope", None)).await).await;
    assert_eq!((s, v["code"].as_str()), (404, Some("AUTH-00011")));
    let mut sys = system(A, "c1");
    sys["allowedredirecturls"] = json!([]);
    assert_eq!(post(&e, "/authentication/api/v1/systemregister/vendor", &t, &sys).await.status(), 200);
    let sid = format!("{A}_budbringer");
    let (s, v) = problem(post(&e, REQUESTS, &t, &req(&sid, Some("https://x.org/"))).await).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("AUTH-00026")));
    let mut bad_rights = req(&sid, None);
    bad_rights["rights"] = json!([{"resource": [{"id": "urn:altinn:resource", "value": "other"}]}]);
    let (_, v) = problem(post(&e, REQUESTS, &t, &bad_rights).await).await;
    assert_eq!(v["code"], "AUTH-00001");
    let mut no_rights = req(&sid, None);
    no_rights["rights"] = json!([]);
    let (_, v) = problem(post(&e, REQUESTS, &t, &no_rights).await).await;
    assert_eq!(v["code"], "AUTH-00059");
    // Client id already used by another system → AUTH.VLD-00004; a vendor that
    // is not the token's organisation → 403 with an empty body, before the errors.
    let mut other = system(A, "c1");
    other["id"] = json!(format!("{A}_annen"));
    let (_, v) = problem(post(&e, "/authentication/api/v1/systemregister/vendor", &t, &other).await).await;
    assert_eq!(vld_codes(&v), ["AUTH.VLD-00004"]);
    let r = post(&e, "/authentication/api/v1/systemregister/vendor", &t, &system(B, "c9")).await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().is_empty());
    // Duplicate rights → AUTH.VLD-00006; an unknown resource → -00003; a bad vendor authority → -00000.
    let mut dup = system(A, "c2");
    dup["id"] = json!(format!("{A}_dup"));
    dup["rights"] = json!([{"resource": [{"id": "urn:altinn:resource", "value": RES}]}, {"resource": [{"id": "urn:altinn:resource", "value": RES}]}]);
    let (_, v) = problem(post(&e, "/authentication/api/v1/systemregister/vendor", &t, &dup).await).await;
    assert_eq!(vld_codes(&v), ["AUTH.VLD-00006"]);
    dup["rights"] = json!([{"resource": [{"id": "urn:altinn:resource", "value": "nope"}]}]);
    let (_, v) = problem(post(&e, "/authentication/api/v1/systemregister/vendor", &t, &dup).await).await;
    assert_eq!(vld_codes(&v), ["AUTH.VLD-00003"]);
    dup["vendor"]["ID"] = json!(A);
    let (_, v) = problem(post(&e, "/authentication/api/v1/systemregister/vendor", &t, &dup).await).await;
    assert_eq!(vld_codes(&v), ["AUTH.VLD-00000"]);

    // Reject on the approval page; asking again answers with the rejected request.
    let v: Value = post(&e, REQUESTS, &t, &req(&sid, None)).await.json().await.unwrap();
    let rid = v["id"].as_str().unwrap().to_owned();
    answer(&e, v["confirmUrl"].as_str().unwrap(), "reject").await;
    let r = post(&e, REQUESTS, &t, &req(&sid, None)).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!((v["id"].as_str(), v["status"].as_str()), (Some(rid.as_str()), Some("Rejected")));
    let v: Value = get(&e, &format!("{REQUESTS}/byexternalref/{sid}/{A}/e1"), &t).await.json().await.unwrap();
    assert_eq!(v["status"], "Rejected");
    // Deleting it (202) lets a new one be made.
    let r = e.http.delete(e.url(&format!("{REQUESTS}/{rid}"))).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 202);
    let (s, v) = problem(get(&e, &format!("{REQUESTS}/{rid}"), &t).await).await;
    assert_eq!((s, v["code"].as_str()), (404, Some("AUTH-00010")));
    let r = post(&e, REQUESTS, &t, &req(&sid, None)).await;
    assert_eq!(r.status(), 201);
    // Missing scope → 403; another vendor's request → AUTH-00011.
    let r = post(&e, REQUESTS, &e.tok(A, RW), &req(&sid, None)).await;
    assert_eq!(r.status(), 403);
    let other_vendor = e.tok(B, REQR);
    let v: Value = post(&e, REQUESTS, &t, &req(&sid, None)).await.json().await.unwrap();
    let (s, v) = problem(get(&e, &format!("{REQUESTS}/{}", v["id"].as_str().unwrap()), &other_vendor).await).await;
    assert_eq!((s, v["code"].as_str()), (404, Some("AUTH-00011")));
}

#[tokio::test]
async fn requests_time_out_after_180_days_and_keep_their_status() {
    let e = start().await;
    let t = e.tok(A, &format!("{REG} {REQW} {REQR}"));
    post(&e, "/authentication/api/v1/systemregister/vendor", &t, &system(A, "c1")).await;
    let req = json!({"systemId": format!("{A}_budbringer"), "partyOrgNo": A,
        "rights": [{"resource": [{"id": "urn:altinn:resource", "value": RES}]}]});
    let v: Value = post(&e, REQUESTS, &t, &req).await.json().await.unwrap();
    let rid = v["id"].as_str().unwrap().to_string();
    // Ten days (what the guides and the old code said) is not a time-out any more.
    e.sb.admin().advance_clock(10 * 86400 + 1);
    let t = e.tok(A, &format!("{REQW} {REQR}"));
    let v: Value = get(&e, &format!("{REQUESTS}/{rid}"), &t).await.json().await.unwrap();
    assert_eq!((v["status"].as_str(), v["timedOut"].as_bool()), (Some("New"), Some(false)));
    e.sb.admin().advance_clock(170 * 86400);
    let t = e.tok(A, &format!("{REQW} {REQR}"));
    let v: Value = get(&e, &format!("{REQUESTS}/{rid}"), &t).await.json().await.unwrap();
    assert_eq!((v["status"].as_str(), v["timedOut"].as_bool()), (Some("New"), Some(true)));
    // Asking again answers with the timed-out request; the approval page no longer offers to approve.
    let v: Value = post(&e, REQUESTS, &t, &req).await.json().await.unwrap();
    assert_eq!(v["id"], rid.as_str());
    let page = e.http.get(v["confirmUrl"].as_str().unwrap()).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("id=\"approve\"") && page.contains("data-timed-out=\"true\""), "{page}");
}
