//! Names for numbers (docs/ALTINN.md#names-for-numbers): the sandbox's
//! Enhetsregisteret and Resource Registry, read by the app's own client and
//! name cache (`budbringer_core::registers`).

use budbringer_core::orgnumber::OrgNumber;
use budbringer_core::registers::names::{Names, FOUND_TTL_SECS, NOT_FOUND_TTL_SECS};
use budbringer_core::registers::NameStatus;
use budbringer_core::store::Store;
use budbringer_sandbox::FaultSpec;

use crate::common::*;

/// A number with a valid check digit that no sandbox organisation has (TT02-like).
const UNKNOWN: &str = "310000035";

fn names<'a>(e: &'a Env, store: &'a Store, er: &'a str, rr: &'a str) -> Names<'a> {
    Names { store, http: &e.http, register_base: er, resource_registry_base: rr }
}

#[tokio::test]
async fn the_register_answers_in_the_real_shape() {
    let e = start().await;
    let v: serde_json::Value =
        e.http.get(e.url(&format!("/enhetsregisteret/api/enheter/{A}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["navn"], "ØVINGSETATEN AVSENDER", "the register writes names in capitals");
    assert_eq!(v["organisasjonsform"]["kode"], "ORGL");
    let r = e.http.get(e.url(&format!("/enhetsregisteret/api/enheter/{UNKNOWN}"))).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let r = e.http.get(e.url("/enhetsregisteret/api/enheter/12")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let none: serde_json::Value =
        e.http.get(e.url("/enhetsregisteret/api/enheter?navn=finst-ikkje")).send().await.unwrap().json().await.unwrap();
    assert!(none.get("_embedded").is_none(), "no hits: no _embedded, as data.brreg.no");
    assert_eq!(none["page"]["totalElements"], 0);
    let r = e.http.get(e.url(&format!("/resourceregistry/api/v1/resource/{RES}"))).send().await.unwrap();
    assert_eq!(r.status(), 200, "the registers are open: no token, no key");
}

#[tokio::test]
async fn names_come_from_the_registers_and_the_store_remembers_them() {
    let e = start().await;
    let store = Store::memory();
    let (er, rr) = (e.url("/enhetsregisteret/api"), e.url("/resourceregistry/api/v1"));
    let n = names(&e, &store, &er, &rr);
    let a = OrgNumber::parse(A).unwrap();
    let info = n.org(&a, 1000).await;
    assert_eq!(info.status, NameStatus::Found);
    assert_eq!(info.label(), "Øvingsetaten Avsender (310 000 019)");
    assert_eq!(info.form.as_ref().map(|f| f.description.as_str()), Some("Organisasjonsledd"));
    assert_eq!(info.municipality.as_deref(), Some("Oslo"));

    let unknown = n.org(&OrgNumber::parse(UNKNOWN).unwrap(), 1000).await;
    assert_eq!((unknown.status, unknown.label()), (NameStatus::NotInRegister, "310 000 035".to_owned()));

    let s = n.service(RES, 1000).await;
    assert_eq!((s.status, s.title_in("nn")), (NameStatus::Found, "Øvingsteneste for Budbringer".to_owned()));
    assert_eq!(s.title_in("nb"), "Øvingstjeneste for Budbringer");
    assert_eq!(s.owner_org.as_deref(), Some(A));
    assert_eq!(s.owner_in("nb").as_deref(), Some("Øvingsetaten Avsender"));
    assert_eq!(n.service("finst-ikkje", 1000).await.status, NameStatus::NotInRegister);

    // The register goes away: fresh answers come from the store without asking.
    let requests = e.sb.admin().requests_served();
    assert_eq!(n.org(&a, 1000 + FOUND_TTL_SECS - 1).await.status, NameStatus::Found);
    assert_eq!(n.service(RES, 1001).await.status, NameStatus::Found);
    assert_eq!(
        n.org(&OrgNumber::parse(UNKNOWN).unwrap(), 1000 + NOT_FOUND_TTL_SECS - 1).await.status,
        NameStatus::NotInRegister
    );
    assert_eq!(e.sb.admin().requests_served(), requests, "fresh answers are not asked for again");

    // Stale and the register fails: the old name, marked stale; never an error.
    e.sb.admin().add_fault(FaultSpec {
        path_prefix: Some("/enhetsregisteret".into()),
        fail_503: Some(10),
        ..Default::default()
    });
    let stale = n.org(&a, 1000 + FOUND_TTL_SECS).await;
    assert_eq!((stale.status, stale.stale), (NameStatus::Found, true));
    assert_eq!(stale.name.as_deref(), Some("Øvingsetaten Avsender"));
    // A number never seen, with the register down: the number, and why.
    let b = n.org(&OrgNumber::parse(B).unwrap(), 1000).await;
    assert_eq!((b.status, b.label()), (NameStatus::Unavailable, "310 000 027".to_owned()));
    assert!(e.sb.admin().requests_served() > requests, "the stale answer was asked for again");
}

#[tokio::test]
async fn the_recipient_search_finds_by_name_and_by_number() {
    let e = start().await;
    let store = Store::memory();
    let (er, rr) = (e.url("/enhetsregisteret/api"), e.url("/resourceregistry/api/v1"));
    let n = names(&e, &store, &er, &rr);
    let hits = n.search_orgs("øvingsetaten", 10, 1).await.unwrap();
    let mut numbers: Vec<_> = hits.iter().map(|h| h.org_number.as_str()).collect();
    numbers.sort();
    assert_eq!(numbers, [A, B]);
    let by_number = n.search_orgs("310 000 027", 10, 1).await.unwrap();
    assert_eq!(by_number[0].name.as_deref(), Some("Øvingsetaten Mottaker"));
    assert!(n.search_orgs("x", 10, 1).await.unwrap().is_empty(), "one letter is not a search");
    // A hit is remembered: choosing it shows the name without asking again.
    let requests = e.sb.admin().requests_served();
    assert_eq!(n.org(&OrgNumber::parse(A).unwrap(), 2).await.status, NameStatus::Found);
    assert_eq!(e.sb.admin().requests_served(), requests);
    // Unreachable: the search says so (the field then asks for the number).
    let dead = names(&e, &store, "http://127.0.0.1:9/enhetsregisteret/api", &rr);
    let err = dead.search_orgs("noko", 10, 1).await.unwrap_err();
    assert_eq!(err.code, budbringer_core::error::ErrorCode::RegisterUnavailable);
}
