//! Environment variables in paths an IT department writes once for every
//! user (`%USERPROFILE%\Documents\Budbringer`, `${HOME}/Budbringer`, `~/Budbringer`).

use crate::error::{AppError, AppResult};

/// Expands `%NAME%`, `${NAME}` and a leading `~` with `var`. A variable that is
/// not set is an error: a path with a hole in it would put files somewhere
/// nobody meant.
pub fn expand_vars(input: &str, var: &impl Fn(&str) -> Option<String>) -> AppResult<String> {
    let lookup = |name: &str| {
        var(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| AppError::invalid_input(format!("the environment variable {name} is not set")))
    };
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    if let Some(after) = rest.strip_prefix('~') {
        if after.is_empty() || after.starts_with(['/', '\\']) {
            out.push_str(&lookup("HOME").or_else(|_| lookup("USERPROFILE"))?);
            rest = after;
        }
    }
    while let Some(i) = rest.find(['%', '$']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let (name, len) = if let Some(body) = tail.strip_prefix('%') {
            match body.find('%') {
                Some(end) if end > 0 && is_name(&body[..end]) => (&body[..end], end + 2),
                _ => ("", 1),
            }
        } else if let Some(body) = tail.strip_prefix("${") {
            match body.find('}') {
                Some(end) if end > 0 && is_name(&body[..end]) => (&body[..end], end + 3),
                _ => ("", 1),
            }
        } else {
            ("", 1)
        };
        if name.is_empty() {
            out.push_str(&tail[..len]);
        } else {
            out.push_str(&lookup(name)?);
        }
        rest = &tail[len..];
    }
    out.push_str(rest);
    Ok(out)
}

fn is_name(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'(' || b == b')')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "USERPROFILE" => Some(r"C:\Users\kari".into()),
            "HOME" => Some("/home/kari".into()),
            "OneDrive" => Some(r"C:\Users\kari\OneDrive - Kommune".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn variables_are_expanded_per_user() {
        let x = |s: &str| expand_vars(s, &env);
        assert_eq!(x(r"%USERPROFILE%\Documents\Budbringer").unwrap(), r"C:\Users\kari\Documents\Budbringer");
        assert_eq!(x(r"%OneDrive%\Budbringer").unwrap(), r"C:\Users\kari\OneDrive - Kommune\Budbringer");
        assert_eq!(x("${HOME}/Budbringer").unwrap(), "/home/kari/Budbringer");
        assert_eq!(x("~/Budbringer").unwrap(), "/home/kari/Budbringer");
        assert_eq!(x(r"\\fil01\felles\Budbringer").unwrap(), r"\\fil01\felles\Budbringer");
        // Not variables: kept as written.
        assert_eq!(x("100% sikkert/$5 ~x %").unwrap(), "100% sikkert/$5 ~x %");
        assert_eq!(x("~kari/x").unwrap(), "~kari/x");
        // A variable that is not set is an error, not a hole in the path.
        assert!(x(r"%NOPE%\x").is_err());
        assert!(x("${EMPTY}/x").is_err());
    }
}
