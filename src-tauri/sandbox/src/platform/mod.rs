//! Altinn platform: the authentication API's system register, system-user
//! requests and change requests, as Altinn/altinn-authentication answers
//! them (status, body, order of checks; docs/ALTINN.md#system-users). The
//! pages a person uses (approval, Samarbeidsportalen, service desk, service
//! owner) are in `portal/`; both decide through [`decide`].
//!
//! * `problems.rs`: the AUTH- and AUTH.VLD- problem shapes;
//! * `register.rs`: `systemregister/vendor` (POST, PUT, GET, PUT rights);
//! * `requests.rs`: `systemuser/request/vendor` and `systemuser/vendor/byquery`;
//! * `changes.rs`: `systemuser/changerequest/vendor`;
//! * `decide.rs`: approve, reject and time out requests and change requests.

pub mod decide;
pub mod problems;

mod changes;
mod common;
mod register;
mod requests;

use axum::routing::{get, post, put};
use axum::Router;

use crate::app::App;
use common::A;

pub fn routes() -> Router<App> {
    Router::new()
        .route(&format!("{A}/systemregister/vendor"), post(register::create))
        .route(&format!("{A}/systemregister/vendor/{{sid}}"), put(register::update).get(register::get))
        .route(&format!("{A}/systemregister/vendor/{{sid}}/rights"), put(register::update_rights))
        .route(&format!("{A}/systemuser/request/vendor"), post(requests::create))
        .route(&format!("{A}/systemuser/request/vendor/{{rid}}"), get(requests::get).delete(requests::delete))
        .route(&format!("{A}/systemuser/request/vendor/byexternalref/{{sid}}/{{org}}/{{ext}}"), get(requests::by_ref))
        .route(&format!("{A}/systemuser/vendor/byquery"), get(requests::system_user_by_query))
        .route(&format!("{A}/systemuser/changerequest/vendor"), post(changes::create))
        .route(&format!("{A}/systemuser/changerequest/vendor/{{rid}}"), get(changes::get))
        .route(
            &format!("{A}/systemuser/changerequest/vendor/byexternalref/{{sid}}/{{org}}/{{ext}}"),
            get(changes::by_ref),
        )
}
