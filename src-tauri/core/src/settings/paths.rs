//! Where the app keeps its data and logs (and, for the table below, where
//! received files go: [`Settings::download_folder`](super::Settings::download_folder)).
//!
//! The platform folders come from Tauri (`app_data_dir`, `app_log_dir`,
//! `download_dir`), which the app crate passes in; the choices made on top of
//! them live here, Tauri-free, so they are tested on every platform:
//!
//! | | Windows | macOS | Linux |
//! |---|---|---|---|
//! | data | `%APPDATA%\no.budbringer.desktop` | `~/Library/Application Support/no.budbringer.desktop` | `~/.local/share/no.budbringer.desktop` |
//! | logs | `%LOCALAPPDATA%\no.budbringer.desktop\logs` | `~/Library/Logs/no.budbringer.desktop` | `~/.local/share/no.budbringer.desktop/logs` |
//! | received files | `Downloads\Budbringer` (the user's Downloads known folder) | `~/Downloads/Budbringer` | `$XDG_DOWNLOAD_DIR/Budbringer` |

use std::ffi::OsString;
use std::path::PathBuf;

/// Moves data and logs into one folder (tests, portable installs).
pub const DATA_DIR_ENV: &str = "BUDBRINGER_DATA_DIR";

/// Data and log folders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folders {
    pub data: PathBuf,
    pub logs: PathBuf,
}

/// `$BUDBRINGER_DATA_DIR/data` and `…/logs` when the variable is set (and not
/// empty), otherwise the platform's folders from `platform`.
pub fn app_folders<E>(
    override_dir: Option<OsString>,
    platform: impl FnOnce() -> Result<(PathBuf, PathBuf), E>,
) -> Result<Folders, E> {
    if let Some(dir) = override_dir.filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        return Ok(Folders { data: dir.join("data"), logs: dir.join("logs") });
    }
    let (data, logs) = platform()?;
    Ok(Folders { data, logs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_dir_variable_moves_data_and_logs_together() {
        let platform = || Ok::<_, ()>((PathBuf::from("/p/data"), PathBuf::from("/p/logs")));
        let moved = app_folders(Some("/tmp/bb".into()), platform).unwrap();
        assert_eq!(moved, Folders { data: "/tmp/bb/data".into(), logs: "/tmp/bb/logs".into() });
        for unset in [None, Some(OsString::new())] {
            let f = app_folders(unset, platform).unwrap();
            assert_eq!(f, Folders { data: "/p/data".into(), logs: "/p/logs".into() });
        }
        assert_eq!(app_folders(None, || Err::<(PathBuf, PathBuf), _>("no home")), Err("no home"));
    }
}
