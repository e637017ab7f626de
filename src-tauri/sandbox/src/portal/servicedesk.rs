//! The people an organisation writes to before it can start, in one page:
//! * the Altinn service desk (servicedesk@altinn.no) grants Broker's scopes,
//!   one by one, as asked for (docs/ALTINN.md#the-client-and-its-scopes);
//! * Digdir registers the organisation as its own end-user-system vendor once
//!   it accepts the terms for such vendors, which grants the system-register
//!   and system-user scopes (docs/ALTINN.md#system-users);
//! * Tenor makes a synthetic test organisation (TT02 has no real ones unless
//!   the service desk creates them).
//!
//! In the sandbox the answer comes at once; in reality it takes days.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use super::html::{all, error_box, esc, field, form, notice_box, org_options, page, see_other, with_lang, Lang};
use crate::app::App;
use crate::model::onboarding::{BROKER_SCOPES, VENDOR_SCOPES};
use crate::model::{strip_org, Organisation};

const BASE: &str = "/sandbox/brukerservice";

pub fn routes() -> Router<App> {
    Router::new()
        .route(BASE, get(home))
        .route(&format!("{BASE}/scopes"), post(grant_broker))
        .route(&format!("{BASE}/leverandor"), post(register_vendor))
        .route(&format!("{BASE}/tenor"), post(new_org))
}

fn not_service_owner(app: &App) -> impl Fn(&Organisation) -> bool + '_ {
    move |o| !app.read(|s| s.service_owners.contains_key(&o.org_number))
}

fn render(app: &App, lang: Lang, q: &BTreeMap<String, String>, message: &str) -> Response {
    let selected = q.get("org").cloned().unwrap_or_default();
    let options = org_options(app, &selected, not_service_owner(app));
    let broker: String = BROKER_SCOPES
        .iter()
        .map(|s| {
            format!(
                r#"<label class="check"><input type="checkbox" name="scope" value="{s}" id="ask-{id}"> <code>{s}</code> {what}</label>"#,
                id = s.replace([':', '.'], "-"),
                what = esc(if s.ends_with("write") { lang.t("(sende)", "(send)") } else { lang.t("(motta)", "(receive)") }),
            )
        })
        .collect();
    let grants: String = app.read(|s| {
        s.onboarding
            .grants
            .iter()
            .filter(|(_, g)| !g.is_empty())
            .map(|(org, g)| {
                let name = s.org_name(org).unwrap_or_default();
                let vendor =
                    if s.onboarding.vendors.contains(org) { lang.t(" (leverandør)", " (vendor)") } else { "" };
                let list: Vec<String> = g.iter().map(|x| format!("<code>{}</code>", esc(x))).collect();
                format!("<tr><td>{} {}{}</td><td>{}</td></tr>", esc(org), esc(&name), vendor, list.join(", "))
            })
            .collect()
    });
    let body = format!(
        r#"{message}<section><h2>{h_sd}</h2><p>{p_sd}</p><form method="post" action="{BASE}/scopes">
<label for="sd-org">{l_org}</label><select id="sd-org" name="org">{options}</select>
<fieldset><legend>{l_sc}</legend>{broker}</fieldset><button type="submit" id="ask-scopes">{b_sd}</button></form></section>
<section><h2>{h_dd}</h2><p>{p_dd}</p><form method="post" action="{BASE}/leverandor">
<label for="vendor-org">{l_org}</label><select id="vendor-org" name="org">{options}</select>
<label class="check"><input type="checkbox" name="terms" value="yes" id="vendor-terms" required> {c_dd}</label>
<button type="submit" id="register-vendor">{b_dd}</button></form></section>
<section><h2>{h_t}</h2><p>{p_t}</p><form method="post" action="{BASE}/tenor"><button type="submit" class="secondary" id="new-test-org">{b_t}</button></form></section>
<section><h2>{h_g}</h2><table><tbody id="grants">{grants}</tbody></table></section>"#,
        h_sd = lang.t("Altinn brukerservice: tilgang til Formidling", "Altinn service desk: access to Broker"),
        p_sd = lang.t(
            "Skriv til servicedesk@altinn.no og be om scopene virksomheten trenger: altinn:broker.write for å sende, altinn:broker.read for å motta. Oppgi organisasjonsnummer og miljø.",
            "Write to servicedesk@altinn.no and ask for the scopes the organisation needs: altinn:broker.write to send, altinn:broker.read to receive. Give the organisation number and the environment.",
        ),
        l_org = lang.t("Virksomhet", "Organisation"),
        l_sc = lang.t("Scopes dere ber om", "Scopes you ask for"),
        b_sd = lang.t("Send forespørselen", "Send the request"),
        h_dd = lang.t("Digdir: sluttbrukersystemleverandør", "Digdir: end-user-system vendor"),
        p_dd = lang.t(
            "Når virksomheten selv registrerer systemet sitt i Altinn, er den sin egen leverandør. Digdir gir da tilgang til systemregisteret og systembrukerforespørsler (altinn:authentication/systemregister.write, systemuser.request.write og systemuser.request.read) når bruksvilkårene er godtatt.",
            "When the organisation registers its own system in Altinn, it is its own vendor. Digdir then gives access to the system register and system-user requests (altinn:authentication/systemregister.write, systemuser.request.write and systemuser.request.read) once the terms of use are accepted.",
        ),
        c_dd = lang.t("Vi godtar bruksvilkår for sluttbrukersystemleverandører i Altinn", "We accept the terms of use for end-user-system vendors in Altinn"),
        b_dd = lang.t("Registrer som leverandør", "Register as vendor"),
        h_t = lang.t("Tenor: syntetisk testvirksomhet", "Tenor: synthetic test organisation"),
        p_t = lang.t(
            "I TT02 bruker dere en syntetisk virksomhet fra Tenor, eller ber brukerservice opprette den ekte i TT02.",
            "In TT02 you use a synthetic organisation from Tenor, or ask the service desk to create the real one in TT02.",
        ),
        b_t = lang.t("Lag en ny testvirksomhet", "Make a new test organisation"),
        h_g = lang.t("Gitte tilganger", "Access given"),
    );
    let title = lang.t("Tilganger", "Access");
    with_lang(
        page(
            lang,
            lang.t("Brukerservice og Digdir (øvingsmiljø)", "Service desk and Digdir (sandbox)"),
            None,
            title,
            &body,
        ),
        q,
        lang,
    )
}

async fn home(State(app): State<App>, headers: HeaderMap, Query(q): Query<BTreeMap<String, String>>) -> Response {
    let lang = Lang::of(&headers, &q);
    let mut message = String::new();
    if let Some(what) = q.get("done") {
        let text = match what.as_str() {
            "scopes" => lang.t(
                "Svar fra brukerservice: virksomheten har fått tilgang til scopene.",
                "Answer from the service desk: the organisation has been given the scopes.",
            ),
            "vendor" => lang.t(
                "Svar fra Digdir: virksomheten er registrert som leverandør og har fått tilgang til systemregisteret.",
                "Answer from Digdir: the organisation is registered as a vendor and has access to the system register.",
            ),
            _ => "",
        };
        message = notice_box(text);
    }
    if let Some(org) = q.get("created") {
        message = notice_box(&format!("{} {org}", lang.t("Ny testvirksomhet:", "New test organisation:")));
    }
    render(&app, lang, &q, &message)
}

fn known(app: &App, org: &str) -> bool {
    app.read(|s| s.organisations.contains_key(org))
}

async fn grant_broker(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let lang = Lang::of(&headers, &BTreeMap::new());
    let f = form(&body);
    let org = strip_org(&field(&f, "org"));
    let scopes: Vec<String> = all(&f, "scope").into_iter().filter(|s| BROKER_SCOPES.contains(&s.as_str())).collect();
    if !known(&app, &org) || scopes.is_empty() {
        let e = lang.t("Velg virksomhet og minst ett scope.", "Choose the organisation and at least one scope.");
        return render(&app, lang, &BTreeMap::new(), &error_box(e));
    }
    app.mutate(|s| s.onboarding.grant(&org, &scopes));
    see_other(&format!("{BASE}?done=scopes&org={org}"))
}

async fn register_vendor(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let lang = Lang::of(&headers, &BTreeMap::new());
    let f = form(&body);
    let org = strip_org(&field(&f, "org"));
    if !known(&app, &org) || field(&f, "terms") != "yes" {
        let e =
            lang.t("Velg virksomhet og godta bruksvilkårene.", "Choose the organisation and accept the terms of use.");
        return render(&app, lang, &BTreeMap::new(), &error_box(e));
    }
    app.mutate(|s| {
        s.onboarding.vendors.insert(org.clone());
        s.onboarding.grant(&org, VENDOR_SCOPES);
    });
    see_other(&format!("{BASE}?done=vendor&org={org}"))
}

async fn new_org(State(app): State<App>) -> Response {
    let org = app.mutate(|s| {
        let n = s.next_synthetic_org();
        let name = format!("Syntetisk virksomhet {}", &n[6..]);
        s.organisations.insert(n.clone(), Organisation { org_number: n.clone(), name, realistic: true });
        n
    });
    see_other(&format!("{BASE}?created={org}&org={org}"))
}
