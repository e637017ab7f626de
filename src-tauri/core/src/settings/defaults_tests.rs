use super::*;
use serde_json::json;

const EXAMPLE: &str = r#"{
  "environment": "tt02",
  "organisationNumber": "310 000 019",
  "downloadDir": "%USERPROFILE%\\Documents\\Budbringer",
  "proxy": "http://proxy.kommune.no:8080",
  "language": "en",
  "pollIntervalSecs": 120,
  "autoSave": true,
  "tray": true,
  "startAtLogin": true,
  "apiKey": "deployed-api-key-0123",
  "privateKeyPem": "-----BEGIN PRIVATE KEY-----",
  "somethingNew": 1
}"#;

fn env(name: &str) -> Option<String> {
    (name == "USERPROFILE").then(|| r"C:\Users\kari".to_owned())
}

#[test]
fn a_defaults_file_presets_a_new_users_settings() {
    let (d, ignored) = parse(EXAMPLE).unwrap();
    assert_eq!(ignored, ["apiKey", "privateKeyPem", "somethingNew"]);
    let s = Settings::with_machine_defaults_from(&d, env);
    assert_eq!(s.environment, Environment::Tt02);
    assert_eq!(s.organisation_number.as_deref(), Some("310000019"));
    assert_eq!(s.download_dir.as_deref(), Some(r"C:\Users\kari\Documents\Budbringer"));
    assert_eq!(s.proxy.as_deref(), Some("http://proxy.kommune.no:8080"));
    assert_eq!(s.language, Language::En);
    assert_eq!(s.poll_interval_secs, 120);
    assert!(s.auto_save && s.tray && s.start_at_login);
    // Nothing that looked like a secret reached the settings.
    let saved = serde_json::to_string(&s).unwrap();
    assert!(!saved.contains("deployed-api-key") && !saved.contains("PRIVATE KEY"), "{saved}");
}

#[test]
fn bad_values_are_skipped_one_by_one() {
    let (d, _) = parse(
        r#"{"environment": "tt02", "organisationNumber": "310000018", "downloadDir": "%NOPE%\\x",
            "proxy": "http://kari:hemmelig@proxy:8080", "pollIntervalSecs": 1, "tray": true}"#,
    )
    .unwrap();
    let s = Settings::with_machine_defaults_from(&d, env);
    let built_in = Settings::default();
    assert_eq!(s.environment, Environment::Tt02);
    assert!(s.tray);
    assert_eq!(s.organisation_number, None, "a wrong check digit is skipped");
    assert_eq!(s.download_dir, None, "an unset variable is skipped");
    assert_eq!(s.proxy, None, "a proxy with a password is skipped");
    assert_eq!(s.poll_interval_secs, built_in.poll_interval_secs);
    // A file that is not a JSON object, or has a wrong type, is an error (and the app then uses built-in defaults).
    assert_eq!(parse("[1]").unwrap_err().code, ErrorCode::SettingsFailed);
    assert_eq!(parse("{").unwrap_err().code, ErrorCode::SettingsFailed);
    assert_eq!(parse(r#"{"tray": "yes"}"#).unwrap_err().code, ErrorCode::SettingsFailed);
    assert_eq!(parse(r#"{"environment": "staging"}"#).unwrap_err().code, ErrorCode::SettingsFailed);
}

#[test]
fn the_defaults_file_lives_where_only_administrators_write() {
    let path = platform_defaults_path(|k| (k == "ProgramData").then(|| r"D:\ProgramData".to_owned()));
    if cfg!(windows) {
        assert_eq!(path, Path::new(r"D:\ProgramData\Budbringer\defaults.json"));
        assert_eq!(platform_defaults_path(|_| None), Path::new(r"C:\ProgramData\Budbringer\defaults.json"));
    } else if cfg!(target_os = "macos") {
        assert_eq!(path, Path::new("/Library/Application Support/Budbringer/defaults.json"));
    } else {
        assert_eq!(path, Path::new("/etc/budbringer/defaults.json"));
    }
}

/// The only test that sets BUDBRINGER_DEFAULTS_FILE (the environment is shared by the test threads).
#[test]
fn the_defaults_apply_at_first_start_only() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("defaults.json");
    std::env::set_var(DEFAULTS_ENV, &file);
    assert_eq!(defaults_path(), file);
    // No file: the built-in defaults, in the operating system's language.
    let builtin = Settings { language: crate::settings::os_language::os_language(), ..Settings::default() };
    assert_eq!(Settings::load_or_first_start(None), builtin);
    std::fs::write(&file, r#"{"environment": "production", "tray": true}"#).unwrap();
    let first = Settings::load_or_first_start(None);
    assert_eq!((first.environment, first.tray), (Environment::Production, true));
    assert_eq!(first.language, builtin.language, "no language in the file: the operating system's");
    std::fs::write(&file, r#"{"language": "en"}"#).unwrap();
    assert_eq!(Settings::load_or_first_start(None).language, Language::En, "the machine's choice wins");
    // A user who has settings keeps them, whatever the machine says.
    let mine = Settings::load_or_first_start(Some(&json!({"environment": "sandbox"})));
    assert_eq!((mine.environment, mine.tray), (Environment::Sandbox, false));
    // A damaged file never stops the app.
    std::fs::write(&file, "{ not json").unwrap();
    assert_eq!(Settings::load_or_first_start(None), builtin);
    std::env::remove_var(DEFAULTS_ENV);
}
