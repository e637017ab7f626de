//! The approval page, at the path Altinn's own has
//! (`/accessmanagement/ui/systemuser/request?id=…`, and `…/changerequest?id=…`
//! for a change of rights): the person logged in for the organisation
//! approves or rejects. The sandbox adds a button that lets 180 days pass.
//!
//! Refusals are shown as Altinn's approval page words them: the person lacks
//! a role that holds the rights (AUTH-00016), or the organisation is not on a
//! resource's access list, so the right cannot be delegated (AUTH-00069;
//! Access Management's `AccessListValidationFail`) (docs/ALTINN.md#requesting-and-approving-a-system-user).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;
use uuid::Uuid;

use super::html::{error_box, esc, field, form, notice_box, page, see_other, with_lang, Lang};
use crate::app::App;
use crate::model::onboarding::{rights_resources, timed_out, Refusal};
use crate::platform::decide::{self, Approver};

const UI: &str = "/accessmanagement/ui/systemuser";

pub fn routes() -> Router<App> {
    Router::new()
        .route(&format!("{UI}/request"), get(request_page))
        .route(&format!("{UI}/changerequest"), get(change_page))
        .route(&format!("{UI}/request/answer"), post(answer_request))
        .route(&format!("{UI}/changerequest/answer"), post(answer_change))
}

/// What the page shows, for a request or a change request.
struct Shown {
    change: bool,
    id: Uuid,
    system_id: String,
    party: String,
    add: Vec<String>,
    remove: Vec<String>,
    status: String,
    timed_out: bool,
    redirect: Option<String>,
}

fn load(app: &App, id: Uuid, change: bool) -> Option<Shown> {
    let now = app.clock.now();
    app.read(|s| {
        if change {
            s.change_requests.get(&id).map(|c| Shown {
                change,
                id,
                system_id: c.system_id.clone(),
                party: c.party_org_no.clone(),
                add: rights_resources(&c.required_rights),
                remove: rights_resources(&c.unwanted_rights),
                status: c.status.clone(),
                timed_out: timed_out(c.created, now),
                redirect: c.redirect_url.clone(),
            })
        } else {
            s.requests.get(&id).map(|r| Shown {
                change,
                id,
                system_id: r.system_id.clone(),
                party: r.party_org_no.clone(),
                add: rights_resources(&r.rights),
                remove: vec![],
                status: r.status.clone(),
                timed_out: timed_out(r.created, now),
                redirect: r.redirect_url.clone(),
            })
        }
    })
}

fn refusal_text(lang: Lang, r: &Refusal, party: &str) -> String {
    let human = match r.code {
        "AUTH-00069" => format!(
            "{} {party} {} {}. {}",
            lang.t("Tjenesteeieren har ikke gitt", "The service owner has not given"),
            lang.t("tilgang til tjenesten", "access to the service"),
            r.resource,
            lang.t(
                "Virksomheten må stå på tjenestens tilgangsliste før tilgangen kan gis til et system. Be tjenesteeieren legge virksomheten til på tilgangslisten, og godkjenn deretter på nytt.",
                "The organisation must be on the service's access list before the access can be given to a system. Ask the service owner to put the organisation on the access list, then approve again.",
            )
        ),
        "AUTH-00016" => lang
            .t(
                "Du har ikke en rolle som gir deg disse rettighetene, og kan derfor ikke gi dem videre. Be daglig leder (eller en annen med rettighetene) godkjenne.",
                "You have no role that holds these rights, so you cannot give them on. Ask the managing director (or someone else who holds the rights) to approve.",
            )
            .to_owned(),
        "AUTH-00013" => lang.t("Forespørselen er allerede besvart.", "The request has already been answered.").to_owned(),
        _ => lang.t("Forespørselen finnes ikke.", "The request does not exist.").to_owned(),
    };
    format!("{human} ({}: {})", r.code, r.title)
}

fn render(app: &App, lang: Lang, shown: &Shown, q: &BTreeMap<String, String>, message: &str) -> Response {
    let (vendor_name, party_name) = app.read(|s| {
        let vendor = s.systems.get(&shown.system_id).map(|x| x.vendor_org.clone()).unwrap_or_default();
        (
            format!("{vendor} {}", s.org_name(&vendor).unwrap_or_default()),
            format!("{} {}", shown.party, s.org_name(&shown.party).unwrap_or_default()),
        )
    });
    let list = |ids: &[String]| -> String { ids.iter().map(|r| format!("<li><code>{}</code></li>", esc(r))).collect() };
    let mut rights = String::new();
    if !shown.add.is_empty() {
        rights.push_str(&format!(
            "<p>{}</p><ul id=\"rights\">{}</ul>",
            lang.t("Systemet ber om tilgang til:", "The system asks for access to:"),
            list(&shown.add)
        ));
    }
    if !shown.remove.is_empty() {
        rights.push_str(&format!(
            "<p>{}</p><ul id=\"rights-removed\">{}</ul>",
            lang.t("Tilgang som fjernes:", "Access that is removed:"),
            list(&shown.remove)
        ));
    }
    let status_text = match (shown.status.as_str(), shown.timed_out) {
        ("New", true) => lang.t("Utløpt: ingen svarte innen 180 dager", "Expired: nobody answered within 180 days"),
        ("New", false) => lang.t("Venter på svar", "Waiting for an answer"),
        ("Accepted", _) => lang.t("Godkjent", "Approved"),
        ("Rejected", _) => lang.t("Avvist", "Rejected"),
        _ => lang.t("Avslått", "Denied"),
    };
    let kind = if shown.change { "changerequest" } else { "request" };
    let buttons = if shown.status == "New" && !shown.timed_out {
        format!(
            r#"<form method="post" action="{UI}/{kind}/answer"><input type="hidden" name="id" value="{id}">
<fieldset><legend>{who}</legend>
<label class="check"><input type="radio" name="approver" value="dagl" id="approver-dagl" checked> {dagl}</label>
<label class="check"><input type="radio" name="approver" value="other" id="approver-other"> {other}</label></fieldset>
<button type="submit" name="answer" value="approve" id="approve">{approve}</button>
<button type="submit" name="answer" value="reject" class="secondary" id="reject">{reject}</button>
<p><small>{sandbox}</small><br><button type="submit" name="answer" value="timeout" class="secondary" id="timeout">{timeout}</button></p></form>"#,
            id = shown.id,
            who = lang.t("Du er logget inn som", "You are logged in as"),
            dagl = lang.t("Daglig leder", "Managing director"),
            other = lang.t("Ansatt uten rolle som gir rettighetene", "Employee without a role that holds the rights"),
            approve = lang.t("Godkjenn", "Approve"),
            reject = lang.t("Avvis", "Reject"),
            sandbox = lang.t("Bare i øvingsmiljøet:", "Sandbox only:"),
            timeout = lang.t("La 180 dager gå uten svar", "Let 180 days pass without an answer"),
        )
    } else {
        String::new()
    };
    let title = if shown.change {
        lang.t("Endring av tilgang for et system", "Change of access for a system")
    } else {
        lang.t("Forespørsel om systemtilgang", "Request for system access")
    };
    let body = format!(
        r#"{message}<section><p>{intro}</p><dl><dt>{l_sys}</dt><dd><code id="system-id">{sys}</code></dd>
<dt>{l_vendor}</dt><dd>{vendor}</dd><dt>{l_org}</dt><dd id="party">{party}</dd></dl>{rights}
<p>{l_status}: <strong id="status" data-status="{status_raw}" data-timed-out="{to}">{status}</strong></p>{buttons}</section>"#,
        intro = lang.t(
            "Et system ber om å få handle på vegne av virksomheten. Det det gjør, kan ikke spores til en person. Godkjenn bare systemer dere kjenner.",
            "A system asks to act on behalf of the organisation. What it does cannot be traced to a person. Approve only systems you know.",
        ),
        l_sys = lang.t("System", "System"),
        sys = esc(&shown.system_id),
        l_vendor = lang.t("Leverandør", "Vendor"),
        vendor = esc(&vendor_name),
        l_org = lang.t("På vegne av", "On behalf of"),
        party = esc(&party_name),
        l_status = lang.t("Status", "Status"),
        status_raw = esc(&shown.status),
        to = shown.timed_out,
        status = esc(status_text),
    );
    with_lang(
        page(
            lang,
            lang.t("Altinn tilgangsstyring (øvingsmiljø)", "Altinn access management (sandbox)"),
            Some(&party_name),
            title,
            &body,
        ),
        q,
        lang,
    )
}

fn show(app: &App, headers: &HeaderMap, q: &BTreeMap<String, String>, change: bool) -> Response {
    let lang = Lang::of(headers, q);
    let shown = q.get("id").and_then(|i| Uuid::parse_str(i).ok()).and_then(|id| load(app, id, change));
    let Some(shown) = shown else {
        let body = error_box(lang.t("Forespørselen finnes ikke.", "The request does not exist."));
        return with_lang(page(lang, "Altinn", None, lang.t("Ukjent forespørsel", "Unknown request"), &body), q, lang);
    };
    let mut message = String::new();
    match q.get("done").map(String::as_str) {
        Some("approve") => {
            message =
                notice_box(lang.t("Godkjent. Systemet har nå tilgangen.", "Approved. The system now has the access."))
        }
        Some("reject") => message = notice_box(lang.t("Avvist.", "Rejected.")),
        _ => {}
    }
    render(app, lang, &shown, q, &message)
}

async fn request_page(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    show(&app, &headers, &q, false)
}

async fn change_page(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    show(&app, &headers, &q, true)
}

async fn answer(app: &App, headers: &HeaderMap, body: &Bytes, change: bool) -> Response {
    let lang = Lang::of(headers, &BTreeMap::new());
    let f = form(body);
    let Ok(id) = Uuid::parse_str(&field(&f, "id")) else { return see_other("/sandbox") };
    let Some(shown) = load(app, id, change) else { return see_other("/sandbox") };
    let kind = if change { "changerequest" } else { "request" };
    let who = if field(&f, "approver") == "other" { Approver::WithoutRights } else { Approver::ManagingDirector };
    let what = field(&f, "answer");
    if shown.timed_out && what != "timeout" {
        return see_other(&format!("{UI}/{kind}?id={id}"));
    }
    let result: Result<Value, Refusal> = match (what.as_str(), change) {
        ("approve", false) => decide::approve_request(app, id, who).map(|_| Value::Null),
        ("approve", true) => decide::approve_change(app, id, who).map(|_| Value::Null),
        ("reject", false) => decide::reject_request(app, id).map(|_| Value::Null),
        ("reject", true) => decide::reject_change(app, id).map(|_| Value::Null),
        _ => {
            decide::time_out(app, id);
            Ok(Value::Null)
        }
    };
    match result {
        Err(r) => {
            let shown = load(app, id, change).unwrap_or(shown);
            render(app, lang, &shown, &BTreeMap::new(), &error_box(&refusal_text(lang, &r, &shown.party)))
        }
        Ok(_) => match (&shown.redirect, what.as_str()) {
            (Some(url), "approve" | "reject") => see_other(url),
            _ => see_other(&format!("{UI}/{kind}?id={id}&done={what}")),
        },
    }
}

async fn answer_request(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    answer(&app, &headers, &body, false).await
}

async fn answer_change(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    answer(&app, &headers, &body, true).await
}
