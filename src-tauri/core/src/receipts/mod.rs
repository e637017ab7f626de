//! Receipts for the archive (issue 17): a sent transfer's or a received
//! file's receipt as a PDF the app writes itself, so a clerk can file it.
//!
//! * [`model`]: what a receipt says, in the user's language, from the job or
//!   the received file and Broker's data (marked as data from Altinn);
//! * [`pdf`]: the layout and the PDF (A4, standard fonts, page breaks);
//! * [`winansi`]: the standard fonts' encoding and widths;
//! * [`zone`]: the time zone the times are written in (the computer's);
//! * here: the default file name and the safe write.

pub mod model;
pub mod pdf;
pub mod winansi;
pub mod zone;

#[cfg(test)]
mod tests;

use crate::error::{AppError, AppResult, ErrorCode};
use crate::transfers::names::sanitize_file_name;
use std::io::Write;
use std::path::{Path, PathBuf};

/// `Kvittering Sak 2026-42 2026-11-26.pdf`: the word for receipt, the sender's
/// reference (or the file name), the date (in `zone`, as on the receipt); safe
/// on Windows and never empty.
pub fn default_file_name(word: &str, what: &str, made: time::OffsetDateTime, zone: &zone::Zone) -> String {
    let date = zone.date(made);
    // A reference like "2026/42" would otherwise be cut at its slash.
    let what: String = what.chars().map(|c| if matches!(c, '/' | '\\') { '-' } else { c }).collect();
    let stem = sanitize_file_name(&format!("{word} {} {date}", what.trim()));
    // sanitize_file_name keeps at most 200 bytes; room for ".pdf" is left by cutting the stem.
    let mut stem = stem;
    while stem.len() > 190 {
        stem.pop();
    }
    format!("{}.pdf", stem.trim_end())
}

fn save_failed(path: &Path, e: impl std::fmt::Display) -> AppError {
    AppError::new(ErrorCode::ReceiptSaveFailed).with_detail(format!("{}: {e}", path.display()))
}

/// Writes `bytes` to `path` as a whole or not at all: to a hidden temporary
/// file beside it, flushed to disk, then renamed over `path` (the user chose
/// it in the save dialog, which asked before replacing a file). A failure
/// leaves nothing under the final name and removes the temporary file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> AppResult<PathBuf> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => return Err(save_failed(path, "no folder")),
    };
    if path.file_name().is_none() {
        return Err(save_failed(path, "no file name"));
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(".budbringer-receipt-")
        .suffix(".part")
        .tempfile_in(dir)
        .map_err(|e| save_failed(path, e))?;
    tmp.write_all(bytes).map_err(|e| save_failed(path, e))?;
    tmp.as_file().sync_all().map_err(|e| save_failed(path, e))?;
    tmp.persist(path).map_err(|e| save_failed(path, e.error))?;
    Ok(path.to_path_buf())
}
