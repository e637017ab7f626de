//! What a receipt says, in the user's language, built from what the app knows
//! of a sent transfer (its job and Broker's details) or a received file (its
//! record and Broker's overview). The PDF ([`super::pdf`]) only lays it out.
//!
//! The texts come from the UI's locale files through [`Texts`] (the runtime
//! passes the chosen language's), so a receipt uses the same words as the
//! screen, and organisation and service names through [`Names`] (looked up
//! in the registers by the caller; a number stands for itself without one).

use super::zone::Zone;
use crate::environment::Environment;
use crate::registers::types::spaced_org;
use crate::transfers::broker::{Details, Overview, RecipientStatus};
use crate::transfers::inbox::{InboxPhase, IncomingFile};
use crate::transfers::send::SendJob;
use std::collections::HashMap;
use time::OffsetDateTime;

/// The words of the user's language, by the locale files' keys (`sent.sender`).
pub trait Texts {
    /// The text of `key`, if the language has one.
    fn get(&self, key: &str) -> Option<String>;

    /// The text of `key`, or the key itself (as the UI's `t()` does).
    fn t(&self, key: &str) -> String {
        self.get(key).unwrap_or_else(|| key.to_owned())
    }

    /// `key` with `{name}` placeholders filled.
    fn t_with(&self, key: &str, params: &[(&str, &str)]) -> String {
        let mut s = self.t(key);
        for (name, value) in params {
            s = s.replace(&format!("{{{name}}}"), value);
        }
        s
    }
}

impl<F: Fn(&str) -> Option<String>> Texts for F {
    fn get(&self, key: &str) -> Option<String> {
        self(key)
    }
}

/// Names for the numbers and IDs on a receipt.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// Nine digits → "Nordre Follo kommune (921 530 875)".
    pub orgs: HashMap<String, String>,
    /// Resource ID → "Øvingstjeneste for Budbringer (budbringer-ovelse)".
    pub services: HashMap<String, String>,
}

impl Names {
    /// An organisation as Broker writes it (`0192:921530875` or nine digits).
    pub fn org(&self, raw: &str) -> String {
        let digits = raw.rsplit(':').next().unwrap_or(raw);
        self.orgs.get(digits).cloned().unwrap_or_else(|| spaced_org(digits))
    }

    pub fn service(&self, id: &str) -> String {
        self.services.get(id).cloned().unwrap_or_else(|| id.to_owned())
    }
}

/// The nine digits of an organisation as Broker writes it.
pub fn org_digits(raw: &str) -> &str {
    raw.rsplit(':').next().unwrap_or(raw)
}

/// A table: a heading, column titles, rows of cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub heading: String,
    pub columns: Vec<String>,
    /// Each column's share of the width (they add up to 1).
    pub shares: Vec<f32>,
    pub rows: Vec<Vec<String>>,
    /// Shown as the only row when there are none.
    pub empty: String,
}

/// A receipt, ready to lay out.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    /// "Kvittering for sendt fil".
    pub title: String,
    /// The file name, under the title and in the PDF's metadata.
    pub subject: String,
    /// "Data fra Altinn" and what it means: the app never claims to be Altinn.
    pub origin: String,
    pub origin_explained: String,
    /// Label and value, in order.
    pub facts: Vec<(String, String)>,
    pub tables: Vec<Table>,
    /// "Side {n} av {total}".
    pub page_label: String,
    /// When it was made (also the PDF's creation date).
    pub made: OffsetDateTime,
    /// The same as the receipt writes its times (the footer).
    pub made_text: String,
    /// The language's code (nb, nn, en): the PDF's /Lang.
    pub lang: String,
}

/// An RFC 3339 time from Altinn or the store as the receipt shows it, in
/// `zone`: `26.11.2026 15:03:15 (UTC+01:00)`. Anything else is shown as it came.
pub fn format_time(raw: &str, zone: &Zone) -> String {
    use time::format_description::well_known::Rfc3339;
    match OffsetDateTime::parse(raw, &Rfc3339) {
        Ok(t) => format_datetime(t, zone),
        Err(_) => raw.to_owned(),
    }
}

/// `26.11.2026 15:03:15 (UTC+01:00)`: the clerk's own time, and an archive
/// needs it unambiguous, so with its offset (`… UTC` when no zone is known).
pub fn format_datetime(t: OffsetDateTime, zone: &Zone) -> String {
    zone.datetime(t)
}

fn time_or_dash(raw: Option<&str>, zone: &Zone) -> String {
    raw.filter(|s| !s.is_empty()).map_or_else(|| "–".to_owned(), |s| format_time(s, zone))
}

/// `1 234 567 byte`: the exact size, grouped as Norwegian and English both read it.
fn size_text(texts: &dyn Texts, size: Option<u64>) -> String {
    let Some(n) = size else { return "–".to_owned() };
    let digits = n.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(' ');
        }
        grouped.push(c);
    }
    texts.t_with("receipt.bytes", &[("n", &grouped)])
}

fn environment_text(texts: &dyn Texts, env: Environment) -> String {
    texts.t(&format!("env.{}", env.as_str()))
}

/// "Hentet av alle (AllConfirmedDownloaded)": the words and Altinn's own code.
fn status_text(texts: &dyn Texts, group: &str, code: Option<&str>) -> String {
    match code {
        Some(code) => match texts.get(&format!("{group}.{code}")) {
            Some(words) => format!("{words} ({code})"),
            None => code.to_owned(),
        },
        None => texts.t(&format!("{group}.unknown")),
    }
}

fn recipients_table(texts: &dyn Texts, names: &Names, zone: &Zone, recipients: &[RecipientStatus]) -> Table {
    Table {
        heading: texts.t("sent.perRecipient"),
        columns: vec![texts.t("sent.col.recipient"), texts.t("sent.col.status"), texts.t("sent.col.changed")],
        shares: vec![0.42, 0.33, 0.25],
        rows: recipients
            .iter()
            .map(|r| {
                vec![
                    names.org(&r.recipient),
                    status_text(
                        texts,
                        "sent.recipientStatus",
                        r.current_recipient_file_transfer_status_code.as_deref(),
                    ),
                    time_or_dash(r.current_recipient_file_transfer_status_changed.as_deref(), zone),
                ]
            })
            .collect(),
        empty: texts.t("sent.noReceipt"),
    }
}

fn properties_table(
    texts: &dyn Texts,
    heading: &str,
    properties: &std::collections::BTreeMap<String, String>,
) -> Table {
    Table {
        heading: texts.t(heading),
        columns: vec![texts.t("receipt.key"), texts.t("receipt.value")],
        shares: vec![0.3, 0.7],
        rows: properties.iter().map(|(k, v)| vec![k.clone(), v.clone()]).collect(),
        empty: texts.t("receipt.noProperties"),
    }
}

/// Every status of the transfer and of each recipient, oldest first.
fn history_table(texts: &dyn Texts, names: &Names, zone: &Zone, details: Option<&Details>) -> Table {
    let mut events: Vec<(Option<OffsetDateTime>, String, String)> = Vec::new();
    let parse =
        |s: Option<&str>| s.and_then(|s| OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok());
    if let Some(d) = details {
        for s in &d.file_transfer_status_history {
            let when = s.file_transfer_status_changed.as_deref();
            let what = status_text(texts, "sent.status", Some(&s.file_transfer_status));
            events.push((parse(when), time_or_dash(when, zone), what));
        }
        for r in &d.recipient_file_transfer_status_history {
            let when = r.recipient_file_transfer_status_changed.as_deref();
            let what = format!(
                "{}: {}",
                names.org(&r.recipient),
                status_text(texts, "sent.recipientStatus", Some(&r.recipient_file_transfer_status_code))
            );
            events.push((parse(when), time_or_dash(when, zone), what));
        }
    }
    // Stable: events without a time keep their place after the timed ones.
    events.sort_by_key(|(t, _, _)| (t.is_none(), *t));
    Table {
        heading: texts.t("sent.history"),
        columns: vec![texts.t("receipt.time"), texts.t("receipt.event")],
        shares: vec![0.3, 0.7],
        rows: events.into_iter().map(|(_, when, what)| vec![when, what]).collect(),
        empty: texts.t("sent.noReceipt"),
    }
}

fn frame(
    texts: &dyn Texts,
    lang: &str,
    title_key: &str,
    subject: String,
    made: OffsetDateTime,
    zone: &Zone,
) -> Receipt {
    Receipt {
        title: texts.t(title_key),
        subject,
        origin: texts.t("origin.altinn"),
        origin_explained: texts.t("origin.altinnExplained"),
        facts: Vec::new(),
        tables: Vec::new(),
        page_label: texts.t("receipt.page"),
        made,
        made_text: format_datetime(made, zone),
        lang: lang.to_owned(),
    }
}

/// The receipt of a sent transfer: the job as stored, with Broker's details
/// (its last receipt) where it has them; its times in `zone`.
pub fn sent(job: &SendJob, texts: &dyn Texts, lang: &str, names: &Names, made: OffsetDateTime, zone: &Zone) -> Receipt {
    let d = job.receipt.as_ref();
    let o = d.map(|d| &d.overview);
    let file_name = o.and_then(|o| o.file_name.clone()).unwrap_or_else(|| job.file_name.clone());
    let mut r = frame(texts, lang, "receipt.titleSent", file_name.clone(), made, zone);
    let dash = || "–".to_owned();
    let status = match (o.and_then(|o| o.file_transfer_status.as_deref()), &job.error) {
        (Some(code), _) => status_text(texts, "sent.status", Some(code)),
        (None, Some(e)) => format!("{} ({})", texts.t("phase.failed"), e.code.as_str()),
        (None, None) => texts.t(&format!(
            "phase.{}",
            serde_json::to_value(job.phase).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
        )),
    };
    r.facts = vec![
        (texts.t("sent.col.file"), file_name),
        (texts.t("inbox.col.size"), size_text(texts, o.and_then(|o| o.file_transfer_size).or(Some(job.size)))),
        (
            texts.t("inbox.checksum"),
            o.and_then(|o| o.checksum.clone()).or_else(|| job.md5.clone()).unwrap_or_else(dash),
        ),
        (texts.t("inbox.transferId"), job.file_transfer_id.map_or_else(dash, |id| id.to_string())),
        (
            texts.t("inbox.reference"),
            o.and_then(|o| o.senders_file_transfer_reference.clone()).unwrap_or_else(|| job.reference.clone()),
        ),
        (texts.t("inbox.resource"), names.service(&job.resource_id)),
        (texts.t("sent.sender"), names.org(o.and_then(|o| o.sender.as_deref()).unwrap_or(&job.sender))),
        (texts.t("env.label"), environment_text(texts, job.environment)),
        (texts.t("inbox.altinnStatus"), status),
        (texts.t("sent.col.sent"), time_or_dash(o.and_then(|o| o.created.as_deref()).or(Some(&job.created)), zone)),
        (texts.t("receipt.made"), format_datetime(made, zone)),
    ];
    let recipients: Vec<RecipientStatus> = match o {
        Some(o) if !o.recipients.is_empty() => o.recipients.clone(),
        // No details yet: the recipients as sent, their status unknown.
        _ => job
            .recipients
            .iter()
            .map(|n| RecipientStatus {
                recipient: n.clone(),
                current_recipient_file_transfer_status_code: None,
                current_recipient_file_transfer_status_text: None,
                current_recipient_file_transfer_status_changed: None,
            })
            .collect(),
    };
    let properties = o.map(|o| &o.property_list).filter(|p| !p.is_empty()).unwrap_or(&job.properties);
    r.tables = vec![
        recipients_table(texts, names, zone, &recipients),
        properties_table(texts, "sent.properties", properties),
        history_table(texts, names, zone, d),
    ];
    r
}

/// The receipt of a received file, from the recipient's side: Broker's
/// overview as stored (or fetched just now by the caller), the checksum
/// check's result and when it was confirmed; its times in `zone`.
pub fn received(
    file: &IncomingFile,
    overview: &Overview,
    texts: &dyn Texts,
    lang: &str,
    names: &Names,
    made: OffsetDateTime,
    zone: &Zone,
) -> Receipt {
    let o = overview;
    let file_name = o.file_name.clone().unwrap_or_default();
    let mut r = frame(texts, lang, "receipt.titleReceived", file_name.clone(), made, zone);
    let dash = || "–".to_owned();
    // The record's own organisation, or (older records) the first recipient.
    let me = if file.org.is_empty() {
        o.recipients.first().map(|r| org_digits(&r.recipient).to_owned()).unwrap_or_default()
    } else {
        file.org.clone()
    };
    let mine = o.recipients.iter().find(|r| org_digits(&r.recipient) == me);
    let checksum = match (file.phase, &file.error) {
        // A file is saved only after its MD5 matched Altinn's (transfers/download.rs).
        (InboxPhase::Saved | InboxPhase::Confirmed, _) => texts.t("receipt.checksumOk"),
        (_, Some(e)) if e.code == crate::error::ErrorCode::DownloadChecksumMismatch => {
            texts.t("receipt.checksumMismatch")
        }
        _ => texts.t("receipt.checksumNotYet"),
    };
    let confirmed = match (file.phase, mine) {
        (_, Some(m)) if m.current_recipient_file_transfer_status_code.as_deref() == Some("DownloadConfirmed") => {
            time_or_dash(m.current_recipient_file_transfer_status_changed.as_deref(), zone)
        }
        (InboxPhase::Confirmed, _) => texts.t("receipt.confirmedNoTime"),
        _ => texts.t("receipt.notConfirmed"),
    };
    r.facts = vec![
        (texts.t("inbox.senderFileName"), file_name),
        (texts.t("inbox.col.size"), size_text(texts, o.file_transfer_size)),
        (texts.t("inbox.checksum"), o.checksum.clone().unwrap_or_else(dash)),
        (texts.t("receipt.checksumCheck"), checksum),
        (texts.t("inbox.transferId"), o.file_transfer_id.to_string()),
        (texts.t("inbox.reference"), o.senders_file_transfer_reference.clone().unwrap_or_else(dash)),
        (texts.t("inbox.resource"), o.resource_id.as_deref().map_or_else(dash, |id| names.service(id))),
        (texts.t("inbox.col.sender"), o.sender.as_deref().map_or_else(dash, |s| names.org(s))),
        (texts.t("sent.col.recipient"), if me.is_empty() { dash() } else { names.org(&me) }),
        (texts.t("env.label"), environment_text(texts, file.environment)),
        (texts.t("inbox.altinnStatus"), status_text(texts, "sent.status", o.file_transfer_status.as_deref())),
        (texts.t("receipt.sentAt"), time_or_dash(o.created.as_deref(), zone)),
        (texts.t("receipt.firstSeen"), format_time(&file.first_seen, zone)),
        (texts.t("receipt.confirmed"), confirmed),
        (texts.t("receipt.made"), format_datetime(made, zone)),
    ];
    r.tables = vec![
        properties_table(texts, "inbox.properties", &o.property_list),
        recipients_table(texts, names, zone, &o.recipients),
    ];
    r
}
