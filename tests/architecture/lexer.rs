//! Just enough of Rust's lexical rules to find paths in code without being
//! fooled by comments and literals: `// crate::x` or `"super::y"` are not uses.

/// A source file with comments blanked out (`with_strings`) and, in `code`,
/// the insides of string and char literals too. Both keep every byte in its
/// place and every line break, so an offset in either is an offset in the file.
pub struct Lexed {
    pub code: String,
    pub with_strings: String,
}

/// Pushes `c`, or as many spaces as it has bytes (a line break stays).
fn put(out: &mut String, c: char, keep: bool) {
    if keep || c == '\n' {
        out.push(c);
    } else {
        out.extend(std::iter::repeat_n(' ', c.len_utf8()));
    }
}

pub fn lex(src: &str) -> Lexed {
    let s: Vec<char> = src.chars().collect();
    let n = s.len();
    let at = |i: usize| s.get(i).copied();
    let mut code = String::with_capacity(src.len());
    let mut with_strings = String::with_capacity(src.len());
    // Pushes one character: `keep_in_code` says whether `code` sees it.
    let mut push = |c: char, keep_in_code: bool, keep_in_strings: bool| {
        put(&mut code, c, keep_in_code);
        put(&mut with_strings, c, keep_in_strings);
    };
    let mut i = 0;
    while i < n {
        let c = s[i];
        let after_ident = i > 0 && (s[i - 1].is_alphanumeric() || s[i - 1] == '_');
        // Line comments, doc comments included.
        if c == '/' && at(i + 1) == Some('/') {
            while i < n && s[i] != '\n' {
                push(s[i], false, false);
                i += 1;
            }
            continue;
        }
        // Block comments, which nest.
        if c == '/' && at(i + 1) == Some('*') {
            let mut depth = 0;
            while i < n {
                if s[i] == '/' && at(i + 1) == Some('*') {
                    depth += 1;
                    push(' ', false, false);
                    push(' ', false, false);
                    i += 2;
                } else if s[i] == '*' && at(i + 1) == Some('/') {
                    depth -= 1;
                    push(' ', false, false);
                    push(' ', false, false);
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    push(s[i], false, false);
                    i += 1;
                }
            }
            continue;
        }
        // Raw strings: r"…", r#"…"#, br"…" (`r#name` is a raw identifier, not a string).
        if !after_ident && (c == 'r' || (c == 'b' && at(i + 1) == Some('r'))) {
            let mut j = i + if c == 'b' { 2 } else { 1 };
            let mut hashes = 0;
            while at(j) == Some('#') {
                hashes += 1;
                j += 1;
            }
            if at(j) == Some('"') {
                for &k in &s[i..=j] {
                    push(k, true, true);
                }
                j += 1;
                while j < n {
                    if s[j] == '"' && (0..hashes).all(|h| at(j + 1 + h) == Some('#')) {
                        for &k in &s[j..j + 1 + hashes] {
                            push(k, true, true);
                        }
                        j += 1 + hashes;
                        break;
                    }
                    push(s[j], false, true);
                    j += 1;
                }
                i = j;
                continue;
            }
        }
        // Strings (a b"…" or c"…" prefix went through as an identifier character).
        if c == '"' {
            push(c, true, true);
            i += 1;
            while i < n {
                if s[i] == '\\' && i + 1 < n {
                    push(s[i], false, true);
                    push(s[i + 1], false, true);
                    i += 2;
                } else if s[i] == '"' {
                    push(s[i], true, true);
                    i += 1;
                    break;
                } else {
                    push(s[i], false, true);
                    i += 1;
                }
            }
            continue;
        }
        // Char literals ('x', '\n', '\'', '\u{…}'); anything else after a quote is a lifetime or label.
        if c == '\'' {
            let end = if at(i + 1) == Some('\\') {
                let mut j = i + 3;
                while j < n && s[j] != '\'' && s[j] != '\n' {
                    j += 1;
                }
                Some(j)
            } else if at(i + 2) == Some('\'') {
                Some(i + 2)
            } else {
                None
            };
            if let Some(end) = end.filter(|&e| e < n && s[e] == '\'') {
                push(c, true, true);
                for &k in &s[i + 1..end] {
                    push(k, false, true);
                }
                push('\'', true, true);
                i = end + 1;
                continue;
            }
        }
        push(c, true, true);
        i += 1;
    }
    Lexed { code, with_strings }
}

/// 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].bytes().filter(|&b| b == b'\n').count() + 1
}

#[test]
fn comments_and_literals_are_blanked_in_place() {
    let src = "use a; // crate::x …\nlet s = \"super::y\"; /* self::z /* nested */ still */ let c = '\"'; 'l: loop {}\nr#\"crate::w\"#";
    let l = lex(src);
    assert_eq!(l.code.len(), src.len());
    assert_eq!(l.with_strings.len(), src.len());
    assert!(!l.code.contains("crate::") && !l.code.contains("super::") && !l.code.contains("self::"), "{}", l.code);
    assert!(l.code.contains("'l: loop {}"), "a label stays: {}", l.code);
    assert!(l.with_strings.contains("\"super::y\"") && !l.with_strings.contains("nested"));
    assert_eq!(line_of(&l.code, l.code.find("r#").unwrap()), 3);
}
