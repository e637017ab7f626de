//! The simulated Samarbeidsportalen (Maskinporten self-service): log in as an
//! organisation, accept Maskinporten's terms, create a client, paste the
//! public key and add scopes. Only scopes granted to the organisation are
//! offered, as in the real portal ("if a scope is missing from the list, the
//! API owner has not shared it with your organisation"); a client holds at
//! most five keys (docs/ALTINN.md#keys-and-certificates); a private key is
//! refused.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

use super::html::{
    all, cookie, error_box, esc, field, form, notice_box, org_options, page, see_other, set_cookie, with_lang, Lang,
};
use crate::app::App;
use crate::model::{Client, PublicJwk};

const BASE: &str = "/sandbox/samarbeid";
/// A Maskinporten client holds at most five keys.
const MAX_KEYS: usize = 5;

pub fn routes() -> Router<App> {
    Router::new()
        .route(BASE, get(home))
        .route(&format!("{BASE}/login"), post(login))
        .route(&format!("{BASE}/logout"), post(logout))
        .route(&format!("{BASE}/terms"), post(terms))
        .route(&format!("{BASE}/ny"), get(new_client_page).post(create_client))
        .route(&format!("{BASE}/klient/{{id}}"), get(client_page))
        .route(&format!("{BASE}/klient/{{id}}/nokkel"), post(add_key))
        .route(&format!("{BASE}/klient/{{id}}/nokkel/slett"), post(remove_key))
        .route(&format!("{BASE}/klient/{{id}}/scope"), post(add_scopes))
}

fn service(lang: Lang) -> &'static str {
    lang.t("Samarbeidsportalen (øvingsmiljø)", "Samarbeidsportalen (sandbox)")
}

/// The organisation this browser is logged in as.
fn session(app: &App, headers: &HeaderMap) -> Option<(String, String)> {
    let org = cookie(headers, "sb_org")?;
    app.read(|s| s.organisations.get(&org).map(|o| (o.org_number.clone(), o.name.clone())))
}

fn who(lang: Lang, org: &(String, String)) -> String {
    format!("{} {} {}", lang.t("Du representerer", "You represent"), org.0, org.1)
}

fn show(lang: Lang, org: Option<&(String, String)>, title: &str, body: &str, q: &BTreeMap<String, String>) -> Response {
    let who = org.map(|o| who(lang, o));
    with_lang(page(lang, service(lang), who.as_deref(), title, body), q, lang)
}

fn login_page(app: &App, lang: Lang, q: &BTreeMap<String, String>) -> Response {
    let body = format!(
        r#"<section><p>{explain}</p><form method="post" action="{BASE}/login">
<label for="login-org">{label}</label><select id="login-org" name="org">{options}</select>
<button type="submit" id="login">{button}</button></form></section>"#,
        explain = lang.t(
            "I TT02 logger du inn med e-postadressen på jobb og velger en testvirksomhet; i produksjon logger du inn med ID-porten, og hovedadministratoren må ha gitt deg rettigheten «Selvbetjening av integrasjoner i ID-porten/Maskinporten».",
            "In TT02 you log in with your work e-mail and choose a test organisation; in production you log in with ID-porten, and the main administrator must have given you the right “Self-service of integrations in ID-porten/Maskinporten”.",
        ),
        label = lang.t("Hvilken virksomhet representerer du?", "Which organisation do you represent?"),
        options = org_options(app, "", |_| true),
        button = lang.t("Logg inn", "Log in"),
    );
    show(lang, None, lang.t("Logg inn", "Log in"), &body, q)
}

async fn home(State(app): State<App>, headers: HeaderMap, Query(q): Query<BTreeMap<String, String>>) -> Response {
    let lang = Lang::of(&headers, &q);
    let Some(org) = session(&app, &headers) else { return login_page(&app, lang, &q) };
    let terms = app.read(|s| s.onboarding.maskinporten_terms.contains(&org.0));
    let mut body = String::new();
    if q.contains_key("terms") {
        body.push_str(&notice_box(lang.t("Bruksvilkårene er godtatt.", "The terms of use are accepted.")));
    }
    if !terms {
        body.push_str(&format!(
            r#"<section><h2>{h}</h2><p>{p}</p><form method="post" action="{BASE}/terms">
<label class="check"><input type="checkbox" id="terms-check" name="accept" value="yes" required> {c}</label>
<button type="submit" id="accept-terms">{b}</button></form></section>"#,
            h = lang.t("Bruksvilkår for Maskinporten", "Maskinporten's terms of use"),
            p = lang.t(
                "Før virksomheten kan lage Maskinporten-klienter, må noen med fullmakt godta bruksvilkårene (for offentlige eller private virksomheter).",
                "Before the organisation can make Maskinporten clients, someone with authority must accept the terms of use (for public or private organisations).",
            ),
            c = lang.t("Virksomheten godtar bruksvilkårene for Maskinporten", "The organisation accepts Maskinporten's terms of use"),
            b = lang.t("Godta", "Accept"),
        ));
    }
    let clients: String = app.read(|s| {
        s.clients
            .values()
            .filter(|c| c.org_number == org.0)
            .map(|c| {
                let name = if c.name.is_empty() { c.client_id.clone() } else { c.name.clone() };
                format!(
                    r#"<tr><td><a href="{BASE}/klient/{id}" data-client="{id}">{name}</a></td><td class="mono">{id}</td></tr>"#,
                    id = esc(&c.client_id),
                    name = esc(&name)
                )
            })
            .collect()
    });
    let new_button = if terms {
        format!(
            r#"<p><a href="{BASE}/ny" id="new-client">{}</a></p>"#,
            lang.t("+ Ny integrasjon (Maskinporten-klient)", "+ New integration (Maskinporten client)")
        )
    } else {
        String::new()
    };
    body.push_str(&format!(
        r#"<section><h2>{h}</h2><table><thead><tr><th>{n}</th><th>{i}</th></tr></thead><tbody>{clients}</tbody></table>{new_button}</section>
<form method="post" action="{BASE}/logout"><button type="submit" class="secondary" id="logout">{out}</button></form>"#,
        h = lang.t("Integrasjoner", "Integrations"),
        n = lang.t("Navn", "Name"),
        i = lang.t("Integrasjons-ID (klient-ID)", "Integration ID (client ID)"),
        out = lang.t("Bytt virksomhet", "Change organisation"),
    ));
    show(lang, Some(&org), lang.t("Dine integrasjoner", "Your integrations"), &body, &q)
}

async fn login(body: Bytes) -> Response {
    let f = form(&body);
    set_cookie(see_other(BASE), "sb_org", &field(&f, "org"))
}

async fn logout() -> Response {
    set_cookie(see_other(BASE), "sb_org", "")
}

async fn terms(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(org) = session(&app, &headers) else { return see_other(BASE) };
    if field(&form(&body), "accept") == "yes" {
        app.mutate(|s| s.onboarding.maskinporten_terms.insert(org.0.clone()));
    }
    see_other(&format!("{BASE}?terms=1"))
}

/// The scopes offered: those granted to the organisation.
fn scope_boxes(lang: Lang, granted: &[String], on_client: &[String]) -> String {
    let offered: Vec<&String> = granted.iter().filter(|s| !on_client.contains(s)).collect();
    if offered.is_empty() {
        return format!(
            r#"<p id="no-scopes">{}</p>"#,
            esc(lang.t(
                "Ingen flere scopes er tilgjengelige for virksomheten. Finner du ikke scopet du trenger, har ikke eieren av API-et gitt virksomheten tilgang ennå (Formidling: Altinn brukerservice; systemregisteret: Digdir).",
                "No more scopes are available to the organisation. If the scope you need is missing, the API owner has not given the organisation access yet (Broker: the Altinn service desk; the system register: Digdir).",
            ))
        );
    }
    offered
        .iter()
        .map(|s| {
            format!(
                r#"<label class="check"><input type="checkbox" name="scope" value="{s}" id="scope-{id}"> <code>{s}</code></label>"#,
                s = esc(s),
                id = esc(&s.replace([':', '/', '.'], "-"))
            )
        })
        .collect()
}

async fn new_client_page(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let lang = Lang::of(&headers, &q);
    let Some(org) = session(&app, &headers) else { return see_other(BASE) };
    let granted = app.read(|s| s.onboarding.granted_scopes(&org.0));
    let body = format!(
        r#"<section><form method="post" action="{BASE}/ny">
<label for="client-name">{n}</label><input type="text" id="client-name" name="name" required>
<label for="client-description">{d}</label><input type="text" id="client-description" name="description">
<fieldset><legend>{s}</legend>{boxes}</fieldset>
<button type="submit" id="create-client">{b}</button></form></section>"#,
        n = lang.t("Visningsnavn", "Display name"),
        d = lang.t("Beskrivelse", "Description"),
        s = lang.t("Scopes", "Scopes"),
        boxes = scope_boxes(lang, &granted, &[]),
        b = lang.t("Opprett", "Create"),
    );
    show(lang, Some(&org), lang.t("Ny Maskinporten-klient", "New Maskinporten client"), &body, &q)
}

async fn create_client(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(org) = session(&app, &headers) else { return see_other(BASE) };
    let f = form(&body);
    let id = uuid::Uuid::new_v4().to_string();
    let terms = app.read(|s| s.onboarding.maskinporten_terms.contains(&org.0));
    if !terms {
        return see_other(BASE);
    }
    let scopes: Vec<String> =
        app.read(|s| all(&f, "scope").into_iter().filter(|sc| s.onboarding.granted(&org.0, sc)).collect());
    let client = Client {
        client_id: id.clone(),
        org_number: org.0.clone(),
        scopes,
        jwks: vec![],
        allow_certificate: false,
        name: field(&f, "name"),
        description: field(&f, "description"),
    };
    app.mutate(|s| s.clients.insert(id.clone(), client));
    see_other(&format!("{BASE}/klient/{id}?created=1"))
}

fn own_client(app: &App, headers: &HeaderMap, id: &str) -> Option<((String, String), Client)> {
    let org = session(app, headers)?;
    let c = app.read(|s| s.clients.get(id).cloned()).filter(|c| c.org_number == org.0)?;
    Some((org, c))
}

fn render_client(
    app: &App,
    lang: Lang,
    org: &(String, String),
    c: &Client,
    q: &BTreeMap<String, String>,
    message: &str,
) -> Response {
    let granted = app.read(|s| s.onboarding.granted_scopes(&org.0));
    let scopes: String = c.scopes.iter().map(|s| format!("<li><code>{}</code></li>", esc(s))).collect();
    let keys: String = c
        .jwks
        .iter()
        .map(|k| {
            format!(
                r#"<tr><td class="mono" data-kid="{kid}">{kid}</td><td><form method="post" action="{BASE}/klient/{id}/nokkel/slett"><input type="hidden" name="kid" value="{kid}"><button type="submit" class="secondary">{rm}</button></form></td></tr>"#,
                kid = esc(&k.kid),
                id = esc(&c.client_id),
                rm = lang.t("Fjern", "Remove")
            )
        })
        .collect();
    let mut notices = String::from(message);
    if q.contains_key("created") {
        notices.push_str(&notice_box(lang.t("Klienten er opprettet.", "The client is created.")));
    }
    if let Some(kid) = q.get("key") {
        notices.push_str(&notice_box(&format!(
            "{} {kid}",
            lang.t("Nøkkelen er lagt til. Nøkkel-ID (kid):", "The key is added. Key ID (kid):")
        )));
    }
    let body = format!(
        r#"{notices}<section><h2>{h_id}</h2><p><code id="client-id">{id}</code></p><p><small>{desc}</small></p></section>
<section><h2>{h_sc}</h2><ul id="client-scopes">{scopes}</ul>
<form method="post" action="{BASE}/klient/{id}/scope">{boxes}<button type="submit" id="add-scopes">{b_sc}</button></form></section>
<section><h2>{h_k}</h2><table><tbody id="client-keys">{keys}</tbody></table>
<form method="post" action="{BASE}/klient/{id}/nokkel"><label for="key-text">{l_k}</label>
<textarea id="key-text" name="key" rows="8" required></textarea><button type="submit" id="add-key">{b_k}</button></form></section>
<p><a href="{BASE}">{back}</a></p>"#,
        h_id = lang.t("Integrasjons-ID (klient-ID)", "Integration ID (client ID)"),
        id = esc(&c.client_id),
        desc = esc(&format!("{} – {}", c.name, c.description)),
        h_sc = lang.t("Scopes", "Scopes"),
        boxes = scope_boxes(lang, &granted, &c.scopes),
        b_sc = lang.t("Legg til valgte scopes", "Add the chosen scopes"),
        h_k = lang.t("Nøkler", "Keys"),
        l_k = lang.t("Lim inn den offentlige nøkkelen (JWK eller PEM)", "Paste the public key (JWK or PEM)"),
        b_k = lang.t("Legg til nøkkel", "Add key"),
        back = lang.t("Tilbake til integrasjonene", "Back to the integrations"),
    );
    show(lang, Some(org), &c.name, &body, q)
}

async fn client_page(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let lang = Lang::of(&headers, &q);
    let Some((org, c)) = own_client(&app, &headers, &id) else { return see_other(BASE) };
    render_client(&app, lang, &org, &c, &q, "")
}

/// A pasted public key: a JWK (alone, in an array, or in `{"keys": […]}`) or
/// an SPKI/PKCS#1 PEM. A private key is refused; a key without `kid` gets one.
fn parse_key(text: &str, lang: Lang) -> Result<Vec<PublicJwk>, String> {
    let t = text.trim();
    if t.contains("PRIVATE KEY") {
        return Err(lang.t("Dette er en privat nøkkel. Lim bare inn den offentlige delen; den private skal aldri forlate maskinen.", "This is a private key. Paste only the public half; the private one must never leave the computer.").into());
    }
    if t.starts_with("-----BEGIN") {
        use rsa::pkcs1::DecodeRsaPublicKey;
        use rsa::pkcs8::DecodePublicKey;
        use rsa::traits::PublicKeyParts;
        let key = rsa::RsaPublicKey::from_public_key_pem(t).or_else(|_| rsa::RsaPublicKey::from_pkcs1_pem(t)).map_err(
            |_| {
                lang.t("PEM-teksten er ikke en offentlig RSA-nøkkel.", "The PEM text is not a public RSA key.")
                    .to_owned()
            },
        )?;
        return Ok(vec![PublicJwk {
            kty: "RSA".into(),
            n: URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
            e: URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
            kid: uuid::Uuid::new_v4().to_string(),
            alg: Some("RS256".into()),
            use_: Some("sig".into()),
        }]);
    }
    let v: Value = serde_json::from_str(t)
        .map_err(|_| lang.t("Teksten er verken JWK eller PEM.", "The text is neither JWK nor PEM.").to_owned())?;
    let list: Vec<Value> = match v {
        Value::Array(a) => a,
        Value::Object(ref o) if o.contains_key("keys") => o["keys"].as_array().cloned().unwrap_or_default(),
        other => vec![other],
    };
    let mut out = vec![];
    for k in list {
        if k.get("d").is_some() {
            return Err(lang
                .t(
                    "JWK-en inneholder den private delen (d). Lim bare inn den offentlige.",
                    "The JWK holds the private part (d). Paste only the public one.",
                )
                .into());
        }
        let s = |n: &str| k.get(n).and_then(|v| v.as_str()).map(str::to_owned);
        let (Some(kty), Some(n), Some(e)) = (s("kty"), s("n"), s("e")) else {
            return Err(lang.t("JWK-en mangler kty, n eller e.", "The JWK lacks kty, n or e.").into());
        };
        if kty != "RSA" {
            return Err(lang.t("Maskinporten tar bare RSA-nøkler.", "Maskinporten takes RSA keys only.").into());
        }
        out.push(PublicJwk {
            kty,
            n,
            e,
            kid: s("kid").unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            alg: s("alg").or(Some("RS256".into())),
            use_: s("use").or(Some("sig".into())),
        });
    }
    Ok(out)
}

async fn add_key(State(app): State<App>, Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let lang = Lang::of(&headers, &BTreeMap::new());
    let Some((org, c)) = own_client(&app, &headers, &id) else { return see_other(BASE) };
    let keys = match parse_key(&field(&form(&body), "key"), lang) {
        Ok(k) => k,
        Err(e) => return render_client(&app, lang, &org, &c, &BTreeMap::new(), &error_box(&e)),
    };
    if c.jwks.len() + keys.len() > MAX_KEYS {
        let e = lang.t(
            "En klient kan ha høyst fem nøkler. Fjern en gammel nøkkel først.",
            "A client can hold at most five keys. Remove an old key first.",
        );
        return render_client(&app, lang, &org, &c, &BTreeMap::new(), &error_box(e));
    }
    if keys.iter().any(|k| c.jwks.iter().any(|x| x.kid == k.kid)) {
        let e = lang.t(
            "Klienten har allerede en nøkkel med denne nøkkel-ID-en (kid).",
            "The client already has a key with this key ID (kid).",
        );
        return render_client(&app, lang, &org, &c, &BTreeMap::new(), &error_box(e));
    }
    let kid = keys.last().map(|k| k.kid.clone()).unwrap_or_default();
    app.mutate(|s| {
        if let Some(c) = s.clients.get_mut(&id) {
            c.jwks.extend(keys);
        }
    });
    see_other(&format!("{BASE}/klient/{id}?key={}", kid))
}

async fn remove_key(State(app): State<App>, Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    if own_client(&app, &headers, &id).is_none() {
        return see_other(BASE);
    }
    let kid = field(&form(&body), "kid");
    app.mutate(|s| {
        if let Some(c) = s.clients.get_mut(&id) {
            c.jwks.retain(|k| k.kid != kid);
        }
    });
    see_other(&format!("{BASE}/klient/{id}"))
}

async fn add_scopes(State(app): State<App>, Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let Some((org, _)) = own_client(&app, &headers, &id) else { return see_other(BASE) };
    let wanted = all(&form(&body), "scope");
    app.mutate(|s| {
        let granted: Vec<String> = wanted.into_iter().filter(|sc| s.onboarding.granted(&org.0, sc)).collect();
        if let Some(c) = s.clients.get_mut(&id) {
            for sc in granted {
                if !c.scopes.contains(&sc) {
                    c.scopes.push(sc);
                }
            }
        }
    });
    see_other(&format!("{BASE}/klient/{id}"))
}
