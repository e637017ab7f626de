//! The smaller differences of issue 14: MVC's validation messages for a
//! missing or null field, confirm on a purged transfer, and the gateway's rate
//! limits per endpoint, the token exchange's providers and claims.

use serde_json::{json, Value};

use crate::common::*;

async fn errors_for(e: &Env, change: impl Fn(&mut serde_json::Map<String, Value>)) -> Value {
    let mut b = init_body(A, &[B]);
    change(b.as_object_mut().unwrap());
    let r = e.init(&e.tok(A, RW), b).await;
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["title"], "One or more validation errors occurred.");
    v["errors"].clone()
}

#[tokio::test]
async fn validation_messages_for_missing_and_null_fields() {
    let e = start().await;
    let required = |f: &str| format!("The {f} field is required.");
    let length = |f: &str, n: u32| {
        format!("The field {f} must be a string with a minimum length of 1 and a maximum length of {n}.")
    };
    // Left out: the DTO's "" fails [Required] and [StringLength] both, [Required] first.
    let v = errors_for(&e, |o| {
        o.remove("fileName");
    })
    .await;
    assert_eq!(v, json!({"FileName": [required("FileName"), length("FileName", 255)]}));
    let v = errors_for(&e, |o| {
        o.remove("resourceId");
    })
    .await;
    assert_eq!(v, json!({"ResourceId": [required("ResourceId"), length("ResourceId", 255)]}));
    // The pattern attribute lets "" through.
    let v = errors_for(&e, |o| {
        o.remove("sender");
    })
    .await;
    assert_eq!(v, json!({"Sender": [required("Sender")]}));
    let v = errors_for(&e, |o| {
        o.remove("recipients");
    })
    .await;
    assert_eq!(v, json!({"Recipients": ["One or more recipients are required"]}));
    let v = errors_for(&e, |o| {
        o.remove("sendersFileTransferReference");
    })
    .await;
    assert_eq!(v, json!({"SendersFileTransferReference": [length("SendersFileTransferReference", 4096)]}));
    // null: [Required] alone (null passes [StringLength]); the resource pattern refuses null.
    let v = errors_for(&e, |o| {
        o.insert("fileName".into(), Value::Null);
        o.insert("resourceId".into(), Value::Null);
        o.insert("sendersFileTransferReference".into(), Value::Null);
        o.insert("propertyList".into(), Value::Null);
    })
    .await;
    assert_eq!(
        v,
        json!({
            "FileName": [required("FileName")],
            "ResourceId": [required("ResourceId"), "Invalid Resource identifier format"],
            "SendersFileTransferReference": [required("SendersFileTransferReference")],
            "PropertyList": [required("PropertyList")],
        })
    );
    // PropertyListAttribute stops at its first complaint; lengths are UTF-16 units.
    let v = errors_for(&e, |o| {
        let mut m = serde_json::Map::new();
        for i in 0..11 {
            m.insert(format!("{i}{}", "k".repeat(60)), json!("v"));
        }
        o.insert("propertyList".into(), Value::Object(m));
    })
    .await;
    assert_eq!(v, json!({"PropertyList": ["PropertyList can contain at most 10 properties"]}));
    let v = errors_for(&e, |o| {
        o.insert("propertyList".into(), json!({"😀".repeat(26): "x"}));
    })
    .await;
    let key = "😀".repeat(26);
    assert_eq!(
        v,
        json!({"PropertyList": [format!("PropertyList Key can not be longer than 50. Length:52, KeyValue:{key}")]})
    );
}

#[tokio::test]
async fn confirm_on_a_purged_transfer_is_not_published() {
    let e = start().await;
    let id = e.published(b"purge me").await;
    let tb = e.tok(B, RW);
    e.http.get(e.broker(&format!("/filetransfer/{id}/download"))).bearer_auth(&tb).send().await.unwrap();
    e.sb.admin().advance_clock(31 * 86_400);
    assert_eq!(e.overview(&e.tok(A, RW), &id).await["fileTransferStatus"], "Purged");
    let tb = e.tok(B, RW);
    let r =
        e.http.post(e.broker(&format!("/filetransfer/{id}/confirmdownload"))).bearer_auth(&tb).send().await.unwrap();
    // FileLocation stays set after the purge: BRO-00010, not BRO-00003.
    assert_bro(r, "BRO-00010", 400).await;
}

#[tokio::test]
async fn each_endpoint_has_its_own_limit() {
    let e = start().await;
    let ta = e.tok(A, RW);
    let id = e.init_ok(json!({})).await;
    let overview = e.broker(&format!("/filetransfer/{id}"));
    for _ in 0..120 {
        assert_eq!(e.http.get(&overview).bearer_auth(&ta).send().await.unwrap().status(), 200);
    }
    let r = e.http.get(&overview).bearer_auth(&ta).send().await.unwrap();
    assert_eq!(r.status(), 429, "the 121st overview in a minute (init_ok made none)");
    assert!(r.headers().get("retry-after").is_some());
    // Initialize counts apart: one made above, more still allowed.
    assert_eq!(e.init(&ta, init_body(A, &[B])).await.status(), 200);
    // Details: 15 a minute (Broker's rate-limit load test), not 10.
    let details = e.broker(&format!("/filetransfer/{id}/details"));
    for _ in 0..15 {
        assert_eq!(e.http.get(&details).bearer_auth(&ta).send().await.unwrap().status(), 200);
    }
    assert_eq!(e.http.get(&details).bearer_auth(&ta).send().await.unwrap().status(), 429);
}

fn payload(jwt: &str) -> Value {
    use base64::Engine;
    let part = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

#[tokio::test]
async fn token_exchange_providers_and_claims() {
    use jsonwebtoken::Algorithm;
    let e = start().await;
    e.register("client-x", A, RW);
    let g = sign(&e.claims("client-x", RW), Algorithm::RS256, Some("test-kid"), key());
    let (_, v) = e.post_grant(&g).await;
    let mp = v["access_token"].as_str().unwrap();
    let get =
        |provider: &str| e.http.get(e.url(&format!("/authentication/api/v1/exchange/{provider}"))).bearer_auth(mp);
    // An unknown provider: 400 with Altinn's text (AuthenticationController.ExchangeExternalSystemToken).
    let r = get("facebook").send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.text().await.unwrap(),
        "Invalid token provider: facebook. Trusted token providers are 'Maskinporten', 'Id-porten' and 'AltinnStudio'."
    );
    // A known provider whose keys never signed this token: 401.
    assert_eq!(get("id-porten").send().await.unwrap().status(), 401);
    // Provider names are matched without regard to case.
    let r = get("Maskinporten").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let altinn = payload(&r.text().await.unwrap());
    let original = payload(mp);
    // client_amr and the Maskinporten sid do not carry over; a new sid and Altinn's iss do.
    assert!(altinn.get("client_amr").is_none(), "{altinn}");
    assert!(altinn["sid"].as_str().is_some_and(|s| !s.is_empty()));
    assert_ne!(altinn["sid"], original.get("sid").cloned().unwrap_or(Value::Null));
    assert_ne!(altinn["iss"], original["iss"]);
    assert_eq!(altinn["client_id"], original["client_id"]);
    // No readable bearer token: 401 before the provider is looked at.
    let r = e.http.get(e.url("/authentication/api/v1/exchange/facebook")).send().await.unwrap();
    assert_eq!(r.status(), 401);
}
