//! What the portal pages share: the language, HTML escaping, forms, cookies
//! and the page frame.

use std::collections::BTreeMap;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use crate::app::App;

/// The page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    Nb,
    En,
}

impl Lang {
    /// `?lang=` first, then the `sandbox_lang` cookie, then Bokmål.
    pub fn of(headers: &HeaderMap, query: &BTreeMap<String, String>) -> Lang {
        let pick = |v: &str| if v.eq_ignore_ascii_case("en") { Lang::En } else { Lang::Nb };
        if let Some(l) = query.get("lang") {
            return pick(l);
        }
        cookie(headers, "sandbox_lang").map(|v| pick(&v)).unwrap_or(Lang::Nb)
    }
    pub fn code(self) -> &'static str {
        match self {
            Lang::Nb => "nb",
            Lang::En => "en",
        }
    }
    /// Bokmål or English.
    pub fn t<'a>(self, nb: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Nb => nb,
            Lang::En => en,
        }
    }
}

/// A cookie's value.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A form body (`application/x-www-form-urlencoded`); repeated names are joined
/// into `name[]`-like lists by [`all`].
pub(crate) fn form(body: &[u8]) -> Vec<(String, String)> {
    crate::auth::parse_form(body)
}

pub(crate) fn field(f: &[(String, String)], name: &str) -> String {
    f.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).unwrap_or_default()
}

pub(crate) fn all(f: &[(String, String)], name: &str) -> Vec<String> {
    f.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).collect()
}

/// 303 See Other, so a reload does not post again.
pub(crate) fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// Sets a cookie on a response (path `/`, this session only).
pub(crate) fn set_cookie(mut r: Response, name: &str, value: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("{name}={value}; Path=/; SameSite=Lax")) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#f6f7f8}\
header{background:#3b2c69;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}\
header .who{margin-left:auto}header a{color:#fff}\
.banner{background:#ffe8a3;color:#3a2c00;padding:.4rem 1.2rem;font-size:.9rem}\
main{max-width:52rem;margin:1rem auto;padding:0 1.2rem}\
section{background:#fff;border:1px solid #d4d7dc;border-radius:6px;padding:1rem 1.2rem;margin:0 0 1rem}\
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:0}label{display:block;margin:.5rem 0 .2rem;font-weight:600}\
input[type=text],textarea,select{width:100%;box-sizing:border-box;padding:.45rem;font:inherit;border:1px solid #8a8f98;border-radius:4px}\
textarea{font-family:monospace;font-size:.85rem}button{font:inherit;padding:.45rem 1rem;border-radius:4px;border:1px solid #3b2c69;\
background:#3b2c69;color:#fff;cursor:pointer;margin:.4rem .4rem 0 0}button.secondary{background:#fff;color:#3b2c69}\
.check{display:flex;gap:.5rem;align-items:center;font-weight:400}.check input{width:auto}\
.error{background:#fde2e1;border-left:4px solid #c30000;padding:.6rem .9rem;margin:0 0 1rem}\
.notice{background:#e3f6e5;border-left:4px solid #06893a;padding:.6rem .9rem;margin:0 0 1rem}\
code,.mono{font-family:monospace;word-break:break-all}table{border-collapse:collapse;width:100%}\
td,th{text-align:left;padding:.3rem .4rem;border-bottom:1px solid #e1e3e6}small{color:#555}";

/// A whole page: the service's header, the sandbox banner, a language switch.
pub(crate) fn page(lang: Lang, service: &str, who: Option<&str>, title: &str, body: &str) -> Response {
    let other = match lang {
        Lang::Nb => r#"<a href="?lang=en" id="lang-en">English</a>"#,
        Lang::En => r#"<a href="?lang=nb" id="lang-nb">Norsk</a>"#,
    };
    let who = who.map(|w| format!(r#"<span class="who" id="who">{}</span>"#, esc(w))).unwrap_or_default();
    let banner = lang.t(
        "Øvingsmiljø: en etterligning i Budbringers sandkasse, ikke den ekte tjenesten. Ingenting her gjelder i TT02 eller produksjon.",
        "Sandbox: an imitation in Budbringer's practice sandbox, not the real service. Nothing here counts in TT02 or production.",
    );
    Html(format!(
        r#"<!doctype html><html lang="{code}"><head><meta charset="utf-8"><title>{title} – {service}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>{STYLE}</style></head>
<body><header><strong>{service}</strong>{who}{other}</header><div class="banner" role="note">{banner}</div>
<main><h1>{title}</h1>{body}</main></body></html>"#,
        code = lang.code(),
        title = esc(title),
        service = esc(service),
    ))
    .into_response()
}

/// Adds the language cookie when the page was asked for with `?lang=`.
pub(crate) fn with_lang(r: Response, query: &BTreeMap<String, String>, lang: Lang) -> Response {
    if query.contains_key("lang") {
        set_cookie(r, "sandbox_lang", lang.code())
    } else {
        r
    }
}

pub(crate) fn error_box(text: &str) -> String {
    format!(r#"<div class="error" role="alert" id="portal-error">{}</div>"#, esc(text))
}

pub(crate) fn notice_box(text: &str) -> String {
    format!(r#"<div class="notice" role="status" id="portal-notice">{}</div>"#, esc(text))
}

/// `<option>`s for the organisations, `selected` marked.
pub(crate) fn org_options(app: &App, selected: &str, filter: impl Fn(&crate::model::Organisation) -> bool) -> String {
    app.read(|s| {
        s.organisations
            .values()
            .filter(|o| filter(o))
            .map(|o| {
                let sel = if o.org_number == selected { " selected" } else { "" };
                format!(r#"<option value="{n}"{sel}>{n} {name}</option>"#, n = esc(&o.org_number), name = esc(&o.name))
            })
            .collect()
    })
}
