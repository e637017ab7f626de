//! What some settings mean for the engine: the folder received files go to,
//! and the upload tuning of the send queue. Rules only: what only the platform
//! knows (its Downloads folder) is passed in, so the app, the command line and
//! the tests share them.

use super::Settings;
use crate::error::{AppError, AppResult};
use crate::transfers::send::UploadSettings;
use std::path::{Path, PathBuf};

const MIB: u64 = 1024 * 1024;

impl Settings {
    /// Where received files are saved: the chosen folder, or `Budbringer` in
    /// the system's Downloads folder (in `<data>/downloads` on a system
    /// without one).
    pub fn download_folder(&self, system_downloads: Option<&Path>, data_dir: &Path) -> PathBuf {
        if let Some(d) = self.download_dir.as_deref().filter(|d| !d.trim().is_empty()) {
            return PathBuf::from(d);
        }
        system_downloads.map(Path::to_path_buf).unwrap_or_else(|| data_dir.join("downloads")).join("Budbringer")
    }

    /// Chooses the download folder; a blank path means the default one. The
    /// folder is made now, so one that cannot be made is refused here rather
    /// than at the first download.
    pub fn set_download_dir(&mut self, path: Option<String>) -> AppResult<()> {
        let path = path.filter(|p| !p.trim().is_empty());
        if let Some(p) = &path {
            std::fs::create_dir_all(p).map_err(AppError::from)?;
        }
        self.download_dir = path;
        Ok(())
    }

    /// The upload tuning these settings ask for.
    pub fn upload_settings(&self) -> UploadSettings {
        UploadSettings {
            tus_threshold: self.tus_threshold_mib as u64 * MIB,
            chunk_size: self.chunk_mib as u64 * MIB,
            ..UploadSettings::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_download_folder_is_the_chosen_one_or_budbringer_in_downloads() {
        let data = Path::new("/data");
        let mut s = Settings::default();
        assert_eq!(
            s.download_folder(Some(Path::new("/home/kari/Nedlastinger")), data),
            Path::new("/home/kari/Nedlastinger/Budbringer")
        );
        assert_eq!(s.download_folder(None, data), Path::new("/data/downloads/Budbringer"));
        s.download_dir = Some("  ".into());
        assert_eq!(s.download_folder(None, data), Path::new("/data/downloads/Budbringer"), "blank means the default");
        s.download_dir = Some("/srv/mottak".into());
        assert_eq!(s.download_folder(Some(Path::new("/home/kari/Nedlastinger")), data), Path::new("/srv/mottak"));
    }

    #[test]
    fn choosing_a_download_folder_makes_it_and_blank_resets_it() {
        let dir = tempfile::tempdir().unwrap();
        let chosen = dir.path().join("a").join("b");
        let mut s = Settings::default();
        s.set_download_dir(Some(chosen.to_string_lossy().into_owned())).unwrap();
        assert!(chosen.is_dir(), "the folder is made when chosen");
        assert_eq!(s.download_dir.as_deref(), Some(chosen.to_str().unwrap()));
        s.set_download_dir(Some(" ".into())).unwrap();
        assert_eq!(s.download_dir, None);
        let file = dir.path().join("a-file");
        std::fs::write(&file, b"x").unwrap();
        let e = s.set_download_dir(Some(file.join("sub").to_string_lossy().into_owned())).unwrap_err();
        assert_eq!(e.code, crate::error::ErrorCode::FileSystem, "{e:?}");
        assert_eq!(s.download_dir, None, "a refused folder is not kept");
    }

    #[test]
    fn upload_tuning_is_in_mib() {
        let mut s = Settings::default();
        s.set_upload_tuning(1, 8).unwrap();
        let u = s.upload_settings();
        assert_eq!((u.tus_threshold, u.chunk_size), (MIB, 8 * MIB));
        assert_eq!(u.max_attempts, UploadSettings::default().max_attempts);
    }
}
