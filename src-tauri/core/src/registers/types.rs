//! What the registers say about a number or an ID, as the UI receives it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

/// How much the app knows about a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum NameStatus {
    /// The register knows it.
    Found,
    /// The register answered that it does not know it: TT02's synthetic
    /// organisations, a deleted unit, a resource that is not registered. The
    /// number (or ID) is shown, with a note saying so.
    NotInRegister,
    /// The register could not be asked (offline, an error, a slow answer).
    /// The number is shown, and the name is asked for again later.
    Unavailable,
}

/// An organisation form from Enhetsregisteret ("KOMM", "Kommune").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OrgForm {
    pub code: String,
    pub description: String,
}

/// One organisation number and what Enhetsregisteret says about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OrgInfo {
    /// Nine digits.
    pub org_number: String,
    pub status: NameStatus,
    /// The name as registered (the register writes it in capitals).
    pub registered_name: Option<String>,
    /// The name to show ("Nordre Follo kommune").
    pub name: Option<String>,
    /// The organisation form ("Kommune", "Aksjeselskap", "Bedrift").
    pub form: Option<OrgForm>,
    /// The municipality of its business address (its location, for a sub-unit).
    pub municipality: Option<String>,
    /// The main unit a sub-unit belongs to (nine digits).
    pub parent: Option<String>,
    /// A sub-unit (underenhet): found under `/underenheter`.
    pub sub_unit: bool,
    /// The day it was deleted from the register (ISO date), when it was.
    pub deleted: Option<String>,
    /// When the register answered (Unix seconds); `None` when it never did.
    pub fetched: Option<i64>,
    /// An earlier answer, kept because the register could not be asked now.
    pub stale: bool,
}

impl OrgInfo {
    /// What the app says about a number it has no answer for.
    pub fn unknown(org_number: &str, status: NameStatus) -> OrgInfo {
        OrgInfo {
            org_number: org_number.to_owned(),
            status,
            registered_name: None,
            name: None,
            form: None,
            municipality: None,
            parent: None,
            sub_unit: false,
            deleted: None,
            fetched: None,
            stale: false,
        }
    }

    /// "Nordre Follo kommune (921 530 875)", or the number alone.
    pub fn label(&self) -> String {
        let spaced = spaced_org(&self.org_number);
        match &self.name {
            Some(name) => format!("{name} ({spaced})"),
            None => spaced,
        }
    }
}

/// `921530875` → `921 530 875`.
pub fn spaced_org(digits: &str) -> String {
    if digits.len() == 9 && digits.bytes().all(|b| b.is_ascii_digit()) {
        format!("{} {} {}", &digits[0..3], &digits[3..6], &digits[6..9])
    } else {
        digits.to_owned()
    }
}

/// One Broker resource (a "service") and what Altinn's Resource Registry says about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServiceInfo {
    pub resource_id: String,
    pub status: NameStatus,
    /// The title by language code (`nb`, `nn`, `en`), as the registry has it.
    pub title: BTreeMap<String, String>,
    /// The service owner (`hasCompetentAuthority`): its organisation number,
    pub owner_org: Option<String>,
    /// its short code ("digdir"),
    pub owner_code: Option<String>,
    /// and its name by language code.
    pub owner_name: BTreeMap<String, String>,
    /// `BrokerService` for a Broker resource.
    pub resource_type: Option<String>,
    pub fetched: Option<i64>,
    pub stale: bool,
}

impl ServiceInfo {
    pub fn unknown(resource_id: &str, status: NameStatus) -> ServiceInfo {
        ServiceInfo {
            resource_id: resource_id.to_owned(),
            status,
            title: BTreeMap::new(),
            owner_org: None,
            owner_code: None,
            owner_name: BTreeMap::new(),
            resource_type: None,
            fetched: None,
            stale: false,
        }
    }

    /// The title in `lang`, else Bokmål, Nynorsk, English, else the ID.
    pub fn title_in(&self, lang: &str) -> String {
        pick(&self.title, lang).unwrap_or_else(|| self.resource_id.clone())
    }

    /// The owner's name in `lang` (same fallbacks), if the registry gave one.
    pub fn owner_in(&self, lang: &str) -> Option<String> {
        pick(&self.owner_name, lang)
    }
}

fn pick(texts: &BTreeMap<String, String>, lang: &str) -> Option<String> {
    [lang, "nb", "nn", "en"]
        .iter()
        .find_map(|l| texts.get(*l).filter(|t| !t.trim().is_empty()))
        .or_else(|| texts.values().find(|t| !t.trim().is_empty()))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_titles_fall_back() {
        let mut o = OrgInfo::unknown("921530875", NameStatus::NotInRegister);
        assert_eq!(o.label(), "921 530 875");
        o.name = Some("Nordre Follo kommune".into());
        assert_eq!(o.label(), "Nordre Follo kommune (921 530 875)");
        let mut s = ServiceInfo::unknown("budbringer-ovelse", NameStatus::Unavailable);
        assert_eq!(s.title_in("nn"), "budbringer-ovelse");
        s.title.insert("nb".into(), "Øving".into());
        s.title.insert("en".into(), "Practice".into());
        assert_eq!(s.title_in("nn"), "Øving", "no Nynorsk title: Bokmål");
        assert_eq!(s.title_in("en"), "Practice");
        s.title.insert("nn".into(), " ".into());
        assert_eq!(s.title_in("nn"), "Øving", "a blank title counts as none");
    }
}
