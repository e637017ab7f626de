//! Receipts for the archive as PDF (issue 17): the engine's
//! [`budbringer_core::receipts`] given the user's language (the locale files
//! the UI uses) and the names of the organisations and the service (the
//! registers, as the pages show them). The app's command asks where to save.

use crate::locale;
use crate::services::inbox;
use crate::state::AppState;
use budbringer_core::error::AppResult;
use budbringer_core::receipts::model::{self, org_digits, Names};
use budbringer_core::receipts::zone::Zone;
use budbringer_core::receipts::{default_file_name, pdf};
use budbringer_core::settings::Language;
use budbringer_core::transfers::broker::Broker;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// A receipt made, not yet saved.
#[derive(Debug, Clone)]
pub struct MadeReceipt {
    pub bytes: Vec<u8>,
    /// `Kvittering <reference or file name> <date>.pdf`, for the save dialog.
    pub file_name: String,
}

fn lang_code(lang: Language) -> &'static str {
    match lang {
        Language::Nb => "nb",
        Language::Nn => "nn",
        Language::En => "en",
    }
}

/// The names of `orgs` (as Broker writes them) and of `service`, from the
/// registers; a number without a name stands for itself.
async fn names(state: &AppState, lang: Language, orgs: &[String], service: Option<&str>) -> Names {
    let mut out = Names::default();
    let mut digits: Vec<String> = orgs.iter().map(|o| org_digits(o).to_owned()).collect();
    digits.sort();
    digits.dedup();
    for chunk in digits.chunks(crate::names::MAX_PER_CALL) {
        if let Ok(infos) = crate::names::orgs(state, chunk).await {
            for info in infos.into_iter().filter(|i| i.name.is_some()) {
                out.orgs.insert(info.org_number.clone(), info.label());
            }
        }
    }
    if let Some(id) = service {
        if let Ok(infos) = crate::names::services(state, &[id.to_owned()]).await {
            for info in infos {
                let title = info.title_in(lang_code(lang));
                let label = if title == info.resource_id { title } else { format!("{title} ({})", info.resource_id) };
                out.services.insert(info.resource_id.clone(), label);
            }
        }
    }
    out
}

fn texts(lang: Language) -> impl Fn(&str) -> Option<String> {
    move |key: &str| locale::get(lang, key).map(str::to_owned)
}

/// The receipt of a sent transfer, as the Sent page's dialog shows it (the
/// stored job with Broker's last details: opening the receipt fetched them).
pub async fn sent(state: &AppState, id: Uuid) -> AppResult<MadeReceipt> {
    let job = state.queue()?.get(id)?;
    let lang = state.settings().language;
    let mut orgs = vec![job.sender.clone()];
    orgs.extend(job.recipients.iter().cloned());
    if let Some(d) = &job.receipt {
        orgs.extend(d.overview.recipients.iter().map(|r| r.recipient.clone()));
        orgs.extend(d.recipient_file_transfer_status_history.iter().map(|r| r.recipient.clone()));
    }
    let names = names(state, lang, &orgs, Some(&job.resource_id)).await;
    let (made, zone) = (time::OffsetDateTime::now_utc(), Zone::system());
    let receipt = model::sent(&job, &texts(lang), lang_code(lang), &names, made, &zone);
    let what = if job.reference.trim().is_empty() { &job.file_name } else { &job.reference };
    let word = locale::text(lang, "receipt.fileWord", &[]);
    Ok(MadeReceipt { bytes: pdf::render(&receipt), file_name: default_file_name(&word, what, made, &zone) })
}

/// The receipt of a received file, from the recipient's side. The overview is
/// asked of Altinn once more (one call, when the user asks for the receipt)
/// for the confirmation's time; without an answer, the stored one serves.
pub async fn received(state: &AppState, id: Uuid) -> AppResult<MadeReceipt> {
    let (inbox, profile) = inbox::active(state);
    let file = inbox.get(id)?;
    let lang = state.settings().language;
    let fresh = match state.running_client(profile.environment) {
        Ok(client) => Broker::new(client).overview(id).await.ok(),
        Err(_) => None,
    };
    let overview = fresh.unwrap_or_else(|| file.overview.clone());
    let mut orgs: Vec<String> = overview.recipients.iter().map(|r| r.recipient.clone()).collect();
    orgs.extend(overview.sender.clone());
    orgs.push(file.org.clone());
    orgs.retain(|o| !o.is_empty());
    let names = names(state, lang, &orgs, overview.resource_id.as_deref()).await;
    let (made, zone) = (time::OffsetDateTime::now_utc(), Zone::system());
    let receipt = model::received(&file, &overview, &texts(lang), lang_code(lang), &names, made, &zone);
    let what = overview
        .senders_file_transfer_reference
        .clone()
        .filter(|r| !r.trim().is_empty())
        .or_else(|| overview.file_name.clone())
        .unwrap_or_default();
    let word = locale::text(lang, "receipt.fileWord", &[]);
    Ok(MadeReceipt { bytes: pdf::render(&receipt), file_name: default_file_name(&word, &what, made, &zone) })
}

/// Writes a made receipt to where the user chose, whole or not at all.
pub fn save(receipt: &MadeReceipt, path: &Path) -> AppResult<PathBuf> {
    budbringer_core::receipts::write_atomically(path, &receipt.bytes)
}
