//! Enhetsregisteret's open API (Brønnøysundregistrene): a name, form and
//! municipality for an organisation number, and a search by name
//! (docs/ALTINN.md#names-for-numbers). No credentials; answers are cached by
//! the caller (`names.rs`).

use super::display::readable;
use super::types::{NameStatus, OrgForm, OrgInfo};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::orgnumber::OrgNumber;
use serde::Deserialize;
use std::time::Duration;

/// How long one question to the register may take: names are a convenience,
/// and a slow register must not hold up a page.
pub const TIMEOUT: Duration = Duration::from_secs(8);

/// A unit as the register writes it: a main unit (`/enheter`) or a sub-unit
/// (`/underenheter`, which has `beliggenhetsadresse` and `overordnetEnhet`).
/// Every field but the number may be missing (a deleted unit has only its
/// number, name, form and `slettedato`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Enhet {
    organisasjonsnummer: String,
    navn: Option<String>,
    organisasjonsform: Option<Organisasjonsform>,
    forretningsadresse: Option<Adresse>,
    beliggenhetsadresse: Option<Adresse>,
    postadresse: Option<Adresse>,
    overordnet_enhet: Option<String>,
    slettedato: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Organisasjonsform {
    kode: String,
    beskrivelse: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Adresse {
    kommune: Option<String>,
}

/// A search answer (HAL): the hits are in `_embedded.enheter` (or
/// `underenheter`); `_embedded` is left out when nothing matched.
#[derive(Debug, Deserialize)]
struct SearchPage {
    #[serde(rename = "_embedded")]
    embedded: Option<Embedded>,
}

#[derive(Debug, Default, Deserialize)]
struct Embedded {
    #[serde(default)]
    enheter: Vec<Enhet>,
    #[serde(default)]
    underenheter: Vec<Enhet>,
}

fn info(e: Enhet, sub_unit: bool, now: i64) -> OrgInfo {
    let municipality = [&e.forretningsadresse, &e.beliggenhetsadresse, &e.postadresse]
        .into_iter()
        .flatten()
        .find_map(|a| a.kommune.as_deref().filter(|k| !k.trim().is_empty()))
        .map(readable);
    OrgInfo {
        status: NameStatus::Found,
        name: e.navn.as_deref().map(readable),
        registered_name: e.navn,
        form: e.organisasjonsform.map(|f| OrgForm { description: f.beskrivelse.unwrap_or_default(), code: f.kode }),
        municipality,
        parent: e.overordnet_enhet,
        sub_unit,
        deleted: e.slettedato,
        fetched: Some(now),
        stale: false,
        org_number: e.organisasjonsnummer,
    }
}

fn unavailable(what: &str, detail: impl std::fmt::Display) -> AppError {
    AppError::new(ErrorCode::RegisterUnavailable).with_detail(format!("Enhetsregisteret {what}: {detail}"))
}

/// The register at `base` (`https://data.brreg.no/enhetsregisteret/api`, or the sandbox's).
pub struct Enhetsregisteret<'a> {
    http: &'a reqwest::Client,
    base: &'a str,
}

impl<'a> Enhetsregisteret<'a> {
    pub fn new(http: &'a reqwest::Client, base: &'a str) -> Self {
        Enhetsregisteret { http, base: base.trim_end_matches('/') }
    }

    /// The unit with this number: a main unit, else a sub-unit. `Ok(None)`
    /// when the register does not know it (404, or 410 for a removed unit);
    /// an error when the register could not be asked.
    pub async fn unit(&self, org: &OrgNumber, now: i64) -> AppResult<Option<OrgInfo>> {
        let digits = org.digits();
        if let Some(e) = self.get_one(&format!("{}/enheter/{digits}", self.base)).await? {
            return Ok(Some(info(e, false, now)));
        }
        Ok(self.get_one(&format!("{}/underenheter/{digits}", self.base)).await?.map(|e| info(e, true, now)))
    }

    async fn get_one(&self, url: &str) -> AppResult<Option<Enhet>> {
        let resp = self
            .http
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(TIMEOUT)
            .send()
            .await
            .map_err(|e| unavailable("not reached", e))?;
        match resp.status().as_u16() {
            200 => resp.json::<Enhet>().await.map(Some).map_err(|e| unavailable("answered unreadably", e)),
            // 400: a number the register refuses outright; the caller only sends valid ones.
            400 | 404 | 410 => Ok(None),
            s => Err(unavailable("answered", format!("HTTP {s}"))),
        }
    }

    /// Main units whose name matches `name`, then sub-units, at most `size`
    /// of each, in the register's order (best match first).
    pub async fn search(&self, name: &str, size: u32, now: i64) -> AppResult<Vec<OrgInfo>> {
        let mut out = Vec::new();
        for (path, sub_unit) in [("enheter", false), ("underenheter", true)] {
            let resp = self
                .http
                .get(format!("{}/{path}", self.base))
                .query(&[("navn", name), ("size", &size.to_string())])
                .header(reqwest::header::ACCEPT, "application/json")
                .timeout(TIMEOUT)
                .send()
                .await
                .map_err(|e| unavailable("not reached", e))?;
            if resp.status().as_u16() != 200 {
                return Err(unavailable("answered the search", format!("HTTP {}", resp.status().as_u16())));
            }
            let page: SearchPage = resp.json().await.map_err(|e| unavailable("answered unreadably", e))?;
            let hits = page.embedded.unwrap_or_default();
            let list = if sub_unit { hits.underenheter } else { hits.enheter };
            out.extend(list.into_iter().map(|e| info(e, sub_unit, now)));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_unit_reads_as_the_register_writes_it() {
        let e: Enhet = serde_json::from_value(json!({
            "organisasjonsnummer": "974760673",
            "navn": "REGISTERENHETEN I BRØNNØYSUND",
            "organisasjonsform": {"kode": "ORGL", "beskrivelse": "Organisasjonsledd", "_links": {}},
            "postadresse": {"land": "Norge", "kommune": "BRØNNØY", "kommunenummer": "1813"},
            "forretningsadresse": {"adresse": ["Havnegata 48", null], "kommune": "BRØNNØY", "kommunenummer": "1813"},
            "overordnetEnhet": "912660680",
            "konkurs": false,
            "_links": {"self": {"href": "x"}}
        }))
        .unwrap();
        let i = info(e, false, 7);
        assert_eq!(i.name.as_deref(), Some("Registerenheten i Brønnøysund"));
        assert_eq!(i.registered_name.as_deref(), Some("REGISTERENHETEN I BRØNNØYSUND"));
        assert_eq!(i.form, Some(OrgForm { code: "ORGL".into(), description: "Organisasjonsledd".into() }));
        assert_eq!(i.municipality.as_deref(), Some("Brønnøy"));
        assert_eq!(i.parent.as_deref(), Some("912660680"));
        assert_eq!((i.status, i.fetched, i.sub_unit), (NameStatus::Found, Some(7), false));
    }

    #[test]
    fn a_deleted_unit_and_an_empty_search_read_too() {
        let e: Enhet = serde_json::from_value(json!({
            "organisasjonsnummer": "123456785", "navn": "SLETTET ENHET AS",
            "organisasjonsform": {"kode": "UTBG", "beskrivelse": "Frivillig registrert utleiebygg", "utgaatt": "2017-07-17"},
            "slettedato": "2017-10-20"
        }))
        .unwrap();
        let i = info(e, false, 1);
        assert_eq!(i.deleted.as_deref(), Some("2017-10-20"));
        assert_eq!(i.municipality, None);
        let empty: SearchPage = serde_json::from_value(json!({
            "_links": {"self": {"href": "x"}}, "page": {"size": 20, "totalElements": 0, "totalPages": 0, "number": 0}
        }))
        .unwrap();
        assert!(empty.embedded.is_none());
    }
}
