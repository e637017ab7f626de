//! `settings.json` in the app's data folder: read once at start, written
//! whole on every change.
//!
//! A write never leaves a half-written file behind, whatever stops the app:
//! the new text goes to a temporary file in the same folder, is flushed to
//! the disk, and then replaces the old file by a rename (atomic on every
//! platform we ship for); on Unix the folder is flushed too, so the rename
//! itself survives a power cut. tauri-plugin-store, which kept this file
//! before, truncated and rewrote it in place (`fs::write`), also from its own
//! exit hook and a debounced auto-save: a crash in the middle lost every
//! setting. The JSON shape is the plugin's (`{"settings": {…}}`), so files
//! written by earlier versions still load.

use super::Settings;
use crate::error::{AppError, AppResult, ErrorCode};
use std::io::Write;
use std::path::Path;

pub const FILE: &str = "settings.json";
const KEY: &str = "settings";

/// The saved settings; at a first start (no file, or no settings in it) the
/// machine's defaults file applied ([`Settings::load_or_first_start`]); the
/// built-in defaults when the file cannot be read (a damaged file never stops
/// the app from starting).
pub fn load(data_dir: &Path) -> Settings {
    let path = data_dir.join(FILE);
    match std::fs::read(&path) {
        Ok(bytes) => match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(v) => Settings::load_or_first_start(v.get(KEY)),
            Err(e) => {
                tracing::warn!(error = %e, "settings.json could not be read; using defaults");
                Settings::default()
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Settings::load_or_first_start(None),
        Err(e) => {
            tracing::warn!(error = %e, "settings.json could not be opened; using defaults");
            Settings::default()
        }
    }
}

/// Saves `settings` as the whole of `settings.json`, atomically.
pub fn save(data_dir: &Path, settings: &Settings) -> AppResult<()> {
    let text = serde_json::to_vec_pretty(&serde_json::json!({ KEY: settings })).map_err(failed)?;
    write_atomic(&data_dir.join(FILE), &text).map_err(failed)
}

fn failed(e: impl std::fmt::Display) -> AppError {
    AppError::new(ErrorCode::SettingsFailed).with_detail(e.to_string())
}

/// Replaces `path` with `bytes`: a temporary file beside it (removed again if
/// anything fails), flushed, renamed over the old one, then the folder flushed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new().prefix(".settings-").suffix(".tmp").tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Language;

    #[test]
    fn round_trip_and_the_plugin_format() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()), Settings::default());
        let s = Settings { language: Language::En, ..Settings::default() };
        save(dir.path(), &s).unwrap();
        assert_eq!(load(dir.path()), s);
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path().join(FILE)).unwrap()).unwrap();
        assert_eq!(v["settings"]["language"], "en");
        // A file written by tauri-plugin-store (the versions before this one) loads.
        std::fs::write(dir.path().join(FILE), r#"{"settings":{"environment":"tt02","pollIntervalSecs":30}}"#).unwrap();
        let old = load(dir.path());
        assert_eq!((old.environment, old.poll_interval_secs), (crate::environment::Environment::Tt02, 30));
        // A damaged one gives the defaults.
        std::fs::write(dir.path().join(FILE), "{\"settings\":{\"lang").unwrap();
        assert_eq!(load(dir.path()), Settings::default());
    }

    /// The file is replaced, never rewritten in place: a hard link to the old
    /// file still sees the old text after a save (an in-place write, like the
    /// store plugin's `fs::write`, would change it), and no temporary file is left.
    #[cfg(unix)]
    #[test]
    fn a_save_replaces_the_file_instead_of_rewriting_it() {
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), &Settings::default()).unwrap();
        let before = std::fs::read(dir.path().join(FILE)).unwrap();
        std::fs::hard_link(dir.path().join(FILE), dir.path().join("old-inode")).unwrap();
        save(dir.path(), &Settings { language: Language::En, ..Settings::default() }).unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("old-inode")).unwrap(),
            before,
            "settings.json was rewritten in place"
        );
        assert_eq!(load(dir.path()).language, Language::En);
        let names: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
        assert!(names.iter().all(|n| n == FILE || n == "old-inode"), "left behind: {names:?}");
    }

    /// A save that cannot finish leaves the old file as it was.
    #[test]
    fn a_failed_save_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), &Settings::default()).unwrap();
        let before = std::fs::read(dir.path().join(FILE)).unwrap();
        // The target is now a non-empty folder: the rename must fail.
        let blocked = dir.path().join("blocked");
        std::fs::create_dir_all(blocked.join(FILE).join("x")).unwrap();
        assert!(save(&blocked, &Settings::default()).is_err());
        assert_eq!(std::fs::read(dir.path().join(FILE)).unwrap(), before);
        let left: Vec<_> = std::fs::read_dir(&blocked).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left.len(), 1, "the temporary file was removed: {left:?}");
    }
}
