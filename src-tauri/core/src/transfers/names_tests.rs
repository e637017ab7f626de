use super::*;

#[test]
fn a_cut_long_name_keeps_no_trailing_dot_or_space() {
    // Found by the file_names fuzz target's invariants.
    for raw in [format!("{} {}", "a".repeat(199), "b".repeat(10)), format!("{}.{}", "a".repeat(199), "b".repeat(30))] {
        let s = sanitize_file_name(&raw);
        assert!(s.len() <= MAX_NAME_BYTES && !s.ends_with([' ', '.']), "{s:?}");
        assert_eq!(sanitize_file_name(&s), s);
    }
}

#[test]
fn hostile_names_are_defused() {
    assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
    assert_eq!(sanitize_file_name("..\\..\\Windows\\system32\\evil.dll"), "evil.dll");
    assert_eq!(sanitize_file_name("/absolute/path.txt"), "path.txt");
    assert_eq!(sanitize_file_name("C:\\report.pdf"), "report.pdf");
    assert_eq!(sanitize_file_name(".."), "fil");
    assert_eq!(sanitize_file_name(""), "fil");
    assert_eq!(sanitize_file_name("a/"), "fil");
    assert_eq!(sanitize_file_name("CON"), "_CON");
    assert_eq!(sanitize_file_name("con.txt"), "_con.txt");
    assert_eq!(sanitize_file_name("LPT1.tar.gz"), "_LPT1.tar.gz");
    assert_eq!(sanitize_file_name("CONTRACT.pdf"), "CONTRACT.pdf");
    assert_eq!(sanitize_file_name("bad\u{0}name\u{7}.txt"), "bad_name_.txt");
    assert_eq!(sanitize_file_name("what?<>|*\".txt"), "what______.txt");
    assert_eq!(sanitize_file_name("invoice\u{202E}fdp.exe"), "invoice_fdp.exe");
    assert_eq!(sanitize_file_name("trailing. . "), "trailing");
    assert_eq!(sanitize_file_name("rapport æøå.pdf"), "rapport æøå.pdf");
    let long = format!("{}.pdf", "x".repeat(400));
    let s = sanitize_file_name(&long);
    assert!(s.len() <= 200 && s.ends_with(".pdf"), "{s}");
    let long_utf8 = format!("{}.pdf", "ø".repeat(300));
    assert!(sanitize_file_name(&long_utf8).ends_with(".pdf"));
}

#[test]
fn every_device_name_windows_reserves_is_defused() {
    let mut reserved: Vec<String> =
        ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"].iter().map(|s| s.to_string()).collect();
    for prefix in ["COM", "LPT"] {
        for d in ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '¹', '²', '³'] {
            reserved.push(format!("{prefix}{d}"));
        }
    }
    for r in &reserved {
        for raw in [r.clone(), r.to_lowercase(), format!("{r}.txt"), format!("{r} .txt"), format!("{r}.tar.gz")] {
            let s = sanitize_file_name(&raw);
            assert!(s.starts_with('_'), "{raw:?} → {s:?}");
            assert!(!is_reserved_device_name(s.split('.').next().unwrap()), "{raw:?} → {s:?}");
        }
    }
    for fine in ["COM10", "LPT", "COM", "CONSOLE", "NULL.txt", "AUX1", "COM⁴", "LPT¹¹", "CONIN", "PRN$"] {
        assert_eq!(sanitize_file_name(fine), fine);
    }
}

#[test]
fn leading_dots_cannot_hide_a_file_or_pose_as_a_part_file() {
    let id = uuid::Uuid::new_v4();
    let part = crate::transfers::download::part_path(Path::new("."), id);
    let part_name = part.file_name().unwrap().to_str().unwrap();
    assert_eq!(sanitize_file_name(part_name), format!("budbringer-{id}.part"));
    assert_eq!(sanitize_file_name(".bashrc"), "bashrc");
    assert_eq!(sanitize_file_name(" . .hidden.txt"), "hidden.txt");
    assert_eq!(sanitize_file_name(".CON"), "_CON");
    assert_eq!(sanitize_file_name("..."), "fil");
}

#[test]
fn invisible_and_direction_characters_are_made_visible() {
    for c in [
        '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
        '\u{200E}', '\u{200F}', '\u{061C}', '\u{200B}', '\u{200C}', '\u{200D}', '\u{FEFF}', '\u{2060}',
    ] {
        let raw = format!("rapport{c}fdp.exe");
        assert_eq!(sanitize_file_name(&raw), "rapport_fdp.exe", "U+{:04X}", c as u32);
    }
    // At the edges too: an invisible character does not protect a device name or hide a dot.
    assert_eq!(sanitize_file_name("\u{200B}CON"), "_CON");
    assert_eq!(sanitize_file_name("CON\u{FEFF}"), "CON_");
}

#[test]
fn long_names_are_cut_to_fit_max_path_keeping_the_extension() {
    let dir = Path::new(r"C:\Users\kari.nordmann\OneDrive - Bergen kommune\Dokumenter\Arkiv 2026\Økonomi og budsjett");
    let name = sanitize_file_name(&format!("{}.pdf", "Årsrapport for kommunen ".repeat(10)));
    assert!(utf16_len(&dir.to_string_lossy()) + 1 + utf16_len(&name) > MAX_PATH - 1, "the test needs a cut");
    let fitted = numbered_name(dir, &name, 1, Some(MAX_PATH - 1));
    let full = utf16_len(&dir.to_string_lossy()) + 1 + utf16_len(&fitted);
    assert_eq!(full, MAX_PATH - 1, "{fitted:?}");
    assert!(fitted.ends_with(".pdf") && fitted.starts_with("Årsrapport"), "{fitted:?}");
    // The number is kept too, and the path still fits.
    let second = numbered_name(dir, &name, 2, Some(MAX_PATH - 1));
    assert!(second.ends_with(" (2).pdf"), "{second:?}");
    assert!(utf16_len(&dir.to_string_lossy()) + 1 + utf16_len(&second) < MAX_PATH);
    // Characters outside the BMP count as two UTF-16 units, as on Windows.
    let emoji = numbered_name(dir, &format!("{}.txt", "🔑".repeat(200)), 1, Some(MAX_PATH - 1));
    assert!(utf16_len(&dir.to_string_lossy()) + 1 + utf16_len(&emoji) < MAX_PATH);
    // Short names and no limit: untouched.
    assert_eq!(numbered_name(dir, "a.pdf", 1, Some(MAX_PATH - 1)), "a.pdf");
    assert_eq!(numbered_name(dir, &name, 1, None), name);
    // A folder nearly MAX_PATH long: the stem keeps a minimum and no trailing space.
    let deep = PathBuf::from(format!(r"C:\{}", "d".repeat(250)));
    let cut = numbered_name(&deep, "rapport  med mellomrom.pdf", 1, Some(MAX_PATH - 1));
    assert_eq!(cut, "rapport.pdf");
    // A cut never produces a device name.
    assert_eq!(numbered_name(&deep, "CON      x.txt", 1, Some(MAX_PATH - 1)), "_CON.txt");
}

#[test]
fn free_paths_never_collide() {
    let dir = tempfile::tempdir().unwrap();
    let p1 = free_path(dir.path(), "a.txt");
    assert_eq!(p1, dir.path().join("a.txt"));
    std::fs::write(&p1, "1").unwrap();
    let p2 = free_path(dir.path(), "a.txt");
    assert_eq!(p2, dir.path().join("a (2).txt"));
    std::fs::write(&p2, "2").unwrap();
    assert_eq!(free_path(dir.path(), "a.txt"), dir.path().join("a (3).txt"));
    std::fs::write(dir.path().join("noext"), "").unwrap();
    assert_eq!(free_path(dir.path(), "noext"), dir.path().join("noext (2)"));
}

#[test]
fn names_that_differ_only_in_case_or_normalisation_collide() {
    // On Windows, macOS and SMB shares these are one file, even when this
    // file system (Linux) would keep them apart.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Rapport.pdf"), "theirs").unwrap();
    assert_eq!(free_path(dir.path(), "rapport.pdf"), dir.path().join("rapport (2).pdf"));
    assert_eq!(free_path(dir.path(), "RAPPORT.PDF"), dir.path().join("RAPPORT (2).PDF"));
    std::fs::write(dir.path().join("rapport (2).PDF"), "theirs").unwrap();
    assert_eq!(free_path(dir.path(), "rapport.pdf"), dir.path().join("rapport (3).pdf"));
    // "Årsmøte" with a decomposed Å (as macOS writes it) and a composed one.
    std::fs::write(dir.path().join("A\u{030A}rsmøte.docx"), "theirs").unwrap();
    assert_eq!(free_path(dir.path(), "\u{00C5}RSMØTE.docx"), dir.path().join("\u{00C5}RSMØTE (2).docx"));
    assert_eq!(fold("Æøå.TXT"), fold("æØÅ.txt"));
    assert_ne!(fold("a.txt"), fold("b.txt"));
}
