//! The web pages a person uses during onboarding, served by the sandbox so
//! that the whole path can be rehearsed on one computer:
//!
//! * `samarbeid.rs`: Samarbeidsportalen: log in as an organisation, accept
//!   Maskinporten's terms, create a Maskinporten client, paste the public key
//!   (JWK or PEM), add only scopes the organisation has been granted;
//! * `servicedesk.rs`: the Altinn service desk (Broker scopes), Digdir (the
//!   end-user-system vendor registration and its scopes) and Tenor (a new
//!   synthetic test organisation);
//! * `approval.rs`: the approval page for a system-user request or change
//!   request (approve, reject, or let it time out), at Altinn's own path;
//! * `service_owner.rs`: the service owner's access lists (an organisation or
//!   a system user on a resource's list).
//!
//! Pages are plain HTML forms in Norwegian (Bokmål) or English (`?lang=en`,
//! remembered in a cookie). Each is marked as the sandbox, so it is never
//! taken for the real service.

mod approval;
mod html;
mod samarbeid;
mod service_owner;
mod servicedesk;

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::app::App;
use html::{esc, page, with_lang, Lang};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/sandbox", get(index))
        .merge(samarbeid::routes())
        .merge(servicedesk::routes())
        .merge(approval::routes())
        .merge(service_owner::routes())
}

async fn index(State(app): State<App>, headers: HeaderMap, Query(q): Query<BTreeMap<String, String>>) -> Response {
    let lang = Lang::of(&headers, &q);
    let rehearsal: String = app.read(|s| {
        s.organisations
            .values()
            .filter(|o| s.is_realistic(&o.org_number) && !s.service_owners.contains_key(&o.org_number))
            .map(|o| format!("<li><code>{}</code> {}</li>", esc(&o.org_number), esc(&o.name)))
            .collect()
    });
    let body = format!(
        r#"<section><p>{intro}</p><ul>
<li><a href="/sandbox/samarbeid" id="to-samarbeid">{sp}</a></li>
<li><a href="/sandbox/brukerservice" id="to-servicedesk">{sd}</a></li>
<li><a href="/sandbox/tjenesteeier" id="to-service-owner">{so}</a></li></ul>
<p>{approve}</p></section><section><h2>{orgs}</h2><ul>{rehearsal}</ul></section>"#,
        intro = lang.t(
            "Her øver du på det som i TT02 og produksjon skjer utenfor Budbringer. Ingenting settes opp for deg.",
            "Here you rehearse what happens outside Budbringer in TT02 and production. Nothing is set up for you.",
        ),
        sp = lang
            .t("Samarbeidsportalen: Maskinporten-klient og nøkkel", "Samarbeidsportalen: Maskinporten client and key"),
        sd = lang.t("Altinn brukerservice og Digdir: tilganger", "Altinn service desk and Digdir: access"),
        so = lang.t("Tjenesteeier: tilgangslister", "Service owner: access lists"),
        approve = lang.t(
            "Godkjenningssiden åpner du fra lenken Budbringer viser når forespørselen er sendt.",
            "You open the approval page from the link Budbringer shows once the request is sent.",
        ),
        orgs = lang.t("Øvingsvirksomheter", "Rehearsal organisations"),
    );
    with_lang(
        page(lang, lang.t("Øvingsmiljø", "Sandbox"), None, lang.t("Øv på oppsettet", "Rehearse the set-up"), &body),
        &q,
        lang,
    )
}
