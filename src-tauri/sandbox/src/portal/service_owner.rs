//! The service owner's side (Altinn Studio's resource administration): put an
//! organisation, or one system user, on a resource's access list, or take it
//! off. With access lists on, Broker admits only those on the list
//! (BRO-00006; every recipient: BRO-00028) and the approver cannot delegate
//! the resource before the organisation is on it (AUTH-00069)
//! (docs/ALTINN.md#who-may-do-what).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use uuid::Uuid;

use super::html::{cookie, error_box, esc, field, form, notice_box, page, see_other, set_cookie, with_lang, Lang};
use crate::app::App;
use crate::model::{strip_org, valid_org_number};

const BASE: &str = "/sandbox/tjenesteeier";

pub fn routes() -> Router<App> {
    Router::new()
        .route(BASE, get(home))
        .route(&format!("{BASE}/login"), post(login))
        .route(&format!("{BASE}/ressurs/{{rid}}/legg-til"), post(add))
        .route(&format!("{BASE}/ressurs/{{rid}}/fjern"), post(remove))
}

fn service(lang: Lang) -> &'static str {
    lang.t(
        "Ressursadministrasjon for tjenesteeiere (øvingsmiljø)",
        "Resource administration for service owners (sandbox)",
    )
}

fn session(app: &App, headers: &HeaderMap) -> Option<(String, String)> {
    let so = cookie(headers, "sb_so")?;
    app.read(|s| s.service_owners.get(&so).map(|o| (o.org_number.clone(), o.name.clone())))
}

fn render(app: &App, lang: Lang, q: &BTreeMap<String, String>, message: &str, headers: &HeaderMap) -> Response {
    let Some(so) = session(app, headers) else {
        let options: String = app.read(|s| {
            s.service_owners
                .values()
                .map(|o| {
                    format!(r#"<option value="{n}">{n} {name}</option>"#, n = esc(&o.org_number), name = esc(&o.name))
                })
                .collect()
        });
        let body = format!(
            r#"<section><form method="post" action="{BASE}/login"><label for="so-org">{l}</label>
<select id="so-org" name="org">{options}</select><button type="submit" id="so-login">{b}</button></form></section>"#,
            l = lang.t("Tjenesteeier", "Service owner"),
            b = lang.t("Logg inn", "Log in"),
        );
        return with_lang(page(lang, service(lang), None, lang.t("Logg inn", "Log in"), &body), q, lang);
    };
    let resources: String = app.read(|s| {
        s.resources
            .values()
            .filter(|r| r.service_owner == so.0)
            .map(|r| {
                let mut members: Vec<String> = r
                    .access_list
                    .iter()
                    .map(|o| (o.clone(), format!("{} {}", o, s.org_name(o).unwrap_or_default())))
                    .chain(r.access_list_system_users.iter().map(|id| {
                        let owner = s.system_users.get(id).map(|u| u.org_number.clone()).unwrap_or_default();
                        (id.to_string(), format!("{} {id} ({owner})", lang.t("systembruker", "system user")))
                    }))
                    .map(|(value, label)| {
                        format!(
                            r#"<li data-member="{v}">{l} <form method="post" action="{BASE}/ressurs/{rid}/fjern" style="display:inline"><input type="hidden" name="member" value="{v}"><button type="submit" class="secondary">{rm}</button></form></li>"#,
                            v = esc(&value),
                            l = esc(&label),
                            rid = esc(&r.resource_id),
                            rm = lang.t("Fjern", "Remove"),
                        )
                    })
                    .collect();
                if members.is_empty() {
                    members.push(format!("<li><em>{}</em></li>", lang.t("Ingen står på listen.", "Nobody is on the list.")));
                }
                let mode = if r.access_list_enabled {
                    lang.t("Tilgangsliste er på: bare de som står på listen, får bruke tjenesten.", "Access list is on: only those on the list may use the service.")
                } else {
                    lang.t("Tilgangsliste er av.", "Access list is off.")
                };
                format!(
                    r#"<section data-resource="{rid}"><h2><code>{rid}</code></h2><p>{mode}</p><ul class="members">{members}</ul>
<form method="post" action="{BASE}/ressurs/{rid}/legg-til"><label for="member-{rid}">{l}</label>
<input type="text" id="member-{rid}" name="member" placeholder="310000108"><button type="submit" id="add-member-{rid}">{b}</button></form></section>"#,
                    rid = esc(&r.resource_id),
                    members = members.concat(),
                    l = lang.t("Organisasjonsnummer eller systembruker-ID", "Organisation number or system-user ID"),
                    b = lang.t("Legg til på tilgangslisten", "Add to the access list"),
                )
            })
            .collect()
    });
    let mut msg = message.to_owned();
    if let Some(m) = q.get("added") {
        msg.push_str(&notice_box(&format!(
            "{} {m}",
            lang.t("Lagt til på tilgangslisten:", "Added to the access list:")
        )));
    }
    let body = format!("{msg}{resources}");
    let who = format!("{} {}", so.0, so.1);
    with_lang(page(lang, service(lang), Some(&who), lang.t("Tilgangslister", "Access lists"), &body), q, lang)
}

async fn home(State(app): State<App>, headers: HeaderMap, Query(q): Query<BTreeMap<String, String>>) -> Response {
    let lang = Lang::of(&headers, &q);
    render(&app, lang, &q, "", &headers)
}

async fn login(body: Bytes) -> Response {
    set_cookie(see_other(BASE), "sb_so", &field(&form(&body), "org"))
}

async fn add(State(app): State<App>, Path(rid): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let lang = Lang::of(&headers, &BTreeMap::new());
    let Some(so) = session(&app, &headers) else { return see_other(BASE) };
    let member = field(&form(&body), "member");
    let owns = app.read(|s| s.resources.get(&rid).map(|r| r.service_owner == so.0).unwrap_or(false));
    if !owns {
        return see_other(BASE);
    }
    let result: Result<(), &str> = if let Ok(id) = Uuid::parse_str(&member) {
        app.mutate(|s| {
            if !s.system_users.contains_key(&id) {
                return Err(
                    lang.t("Det finnes ingen systembruker med denne ID-en.", "There is no system user with this ID.")
                );
            }
            let r = s.resources.get_mut(&rid).ok_or("")?;
            if !r.access_list_system_users.contains(&id) {
                r.access_list_system_users.push(id);
            }
            Ok(())
        })
    } else {
        let org = strip_org(&member.replace(' ', ""));
        app.mutate(|s| {
            if !valid_org_number(&org) || !s.organisations.contains_key(&org) {
                return Err(lang.t(
                    "Organisasjonsnummeret finnes ikke i Enhetsregisteret.",
                    "The organisation number is not in the Central Coordinating Register.",
                ));
            }
            let r = s.resources.get_mut(&rid).ok_or("")?;
            if !r.access_list.contains(&org) {
                r.access_list.push(org);
            }
            Ok(())
        })
    };
    match result {
        Ok(()) => see_other(&format!("{BASE}?added={}", member.replace(' ', ""))),
        Err(e) => render(&app, lang, &BTreeMap::new(), &error_box(e), &headers),
    }
}

async fn remove(State(app): State<App>, Path(rid): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(so) = session(&app, &headers) else { return see_other(BASE) };
    let member = field(&form(&body), "member");
    app.mutate(|s| {
        if let Some(r) = s.resources.get_mut(&rid).filter(|r| r.service_owner == so.0) {
            r.access_list.retain(|o| o != &member);
            r.access_list_system_users.retain(|id| id.to_string() != member);
        }
    });
    see_other(BASE)
}
