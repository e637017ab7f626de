//! System register, system-user requests, approval page and AUTH error codes.

use serde_json::{json, Value};

use crate::common::*;

const REG: &str = "altinn:authentication/systemregister.write";
const REQW: &str = "altinn:authentication/systemuser.request.write";
const REQR: &str = "altinn:authentication/systemuser.request.read";

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

#[tokio::test]
async fn register_request_approve_and_use_a_system_user() {
    let e = start().await;
    let t = e.tok(A, &format!("{REG} {REQW} {REQR}"));
    let r = post(&e, "/authentication/api/v1/systemregister/vendor", &t, &system(A, "client-a")).await;
    assert_eq!(r.status(), 200);
    // Same id again → AUTH.VLD-00002.
    let (s, v) =
        problem(post(&e, "/authentication/api/v1/systemregister/vendor", &t, &system(A, "client-a")).await).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("AUTH.VLD-00002")));
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

    let req = json!({"systemId": format!("{A}_budbringer"), "partyOrgNo": A,
        "rights": [{"resource": [{"id": "urn:altinn:resource", "value": RES}]}]});
    let r = post(&e, "/authentication/api/v1/systemuser/request/vendor", &t, &req).await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "New");
    assert_eq!(v["externalRef"], A);
    let rid = v["id"].as_str().unwrap().to_string();
    let confirm = v["confirmUrl"].as_str().unwrap().to_string();
    assert!(confirm.starts_with(&format!("{}/sandbox/", e.base)));
    // A duplicate pending request → AUTH-00007.
    let (s, v) = problem(post(&e, "/authentication/api/v1/systemuser/request/vendor", &t, &req).await).await;
    assert_eq!((s, v["code"].as_str()), (409, Some("AUTH-00007")));
    // The approval page has Approve and Reject buttons; press Approve.
    let page = e.http.get(&confirm).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("id=\"approve\"") && page.contains("id=\"reject\""));
    let r = e.http.post(format!("{confirm}/accept")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = e
        .http
        .get(e.url(&format!("/authentication/api/v1/systemuser/request/vendor/{rid}")))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "Accepted");
    let r = e
        .http
        .get(e.url(&format!("/authentication/api/v1/systemuser/vendor/byquery?system-id={A}_budbringer&orgno={A}")))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let su: Value = r.json().await.unwrap();
    assert!(su["id"].is_string());
    // A new request for the same system and org → AUTH-00004.
    let (s, v) = problem(post(&e, "/authentication/api/v1/systemuser/request/vendor", &t, &req).await).await;
    assert_eq!((s, v["code"].as_str()), (409, Some("AUTH-00004")));
    // The system user can now get a Maskinporten token for client-a.
    e.register("client-a", A, RW);
    let mut c = e.claims("client-a", "altinn:broker.write");
    c["authorization_details"] = json!([{"type": "urn:altinn:systemuser", "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": format!("0192:{A}")}}]);
    let (s, v) = e.post_grant(&sign(&c, jsonwebtoken::Algorithm::RS256, Some("test-kid"), key())).await;
    assert_eq!(s, 200, "{v}");
}

#[tokio::test]
async fn request_error_codes_and_rejection() {
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
    let (s, v) =
        problem(post(&e, "/authentication/api/v1/systemuser/request/vendor", &t, &req("nope", None)).await).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("AUTH-00011")));
    let mut sys = system(A, "c1");
    sys["allowedredirecturls"] = json!([]);
    post(&e, "/authentication/api/v1/systemregister/vendor", &t, &sys).await;
    let sid = format!("{A}_budbringer");
    let (_, v) = problem(
        post(&e, "/authentication/api/v1/systemuser/request/vendor", &t, &req(&sid, Some("https://x.org/"))).await,
    )
    .await;
    assert_eq!(v["code"], "AUTH-00026");
    let mut bad_rights = req(&sid, None);
    bad_rights["rights"] = json!([{"resource": [{"id": "urn:altinn:resource", "value": "other"}]}]);
    let (_, v) = problem(post(&e, "/authentication/api/v1/systemuser/request/vendor", &t, &bad_rights).await).await;
    assert_eq!(v["code"], "AUTH-00001");
    // Client id already used by another system → AUTH.VLD-00004.
    let mut other = system(A, "c1");
    other["id"] = json!(format!("{A}_annen"));
    let (_, v) = problem(post(&e, "/authentication/api/v1/systemregister/vendor", &t, &other).await).await;
    assert_eq!(v["code"], "AUTH.VLD-00004");
    // Reject via the admin API.
    let v: Value =
        post(&e, "/authentication/api/v1/systemuser/request/vendor", &t, &req(&sid, None)).await.json().await.unwrap();
    let rid = v["id"].as_str().unwrap();
    let r = e.http.post(e.url(&format!("/admin/system-user-requests/{rid}/reject"))).send().await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "Rejected");
    let (_, v) =
        problem(post(&e, "/authentication/api/v1/systemuser/request/vendor", &t, &req(&sid, None)).await).await;
    assert_eq!(v["code"], "AUTH-00009");
    let v: Value = e
        .http
        .get(e.url(&format!("/authentication/api/v1/systemuser/request/vendor/byexternalref/{sid}/{A}/e1")))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "Rejected");
    // Missing scope → 403.
    let r = post(&e, "/authentication/api/v1/systemuser/request/vendor", &e.tok(A, RW), &req(&sid, None)).await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn requests_time_out_after_ten_days() {
    let e = start().await;
    let t = e.tok(A, &format!("{REG} {REQW} {REQR}"));
    post(&e, "/authentication/api/v1/systemregister/vendor", &t, &system(A, "c1")).await;
    let req = json!({"systemId": format!("{A}_budbringer"), "partyOrgNo": A,
        "rights": [{"resource": [{"id": "urn:altinn:resource", "value": RES}]}]});
    let v: Value = post(&e, "/authentication/api/v1/systemuser/request/vendor", &t, &req).await.json().await.unwrap();
    let rid = v["id"].as_str().unwrap().to_string();
    e.sb.admin().advance_clock(10 * 86400 + 1);
    let t = e.tok(A, REQR);
    let v: Value = e
        .http
        .get(e.url(&format!("/authentication/api/v1/systemuser/request/vendor/{rid}")))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "TimedOut");
}
