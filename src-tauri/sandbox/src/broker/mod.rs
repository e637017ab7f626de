//! Broker `/broker/api/v1`: the route table. Each concern has its own file;
//! [`access`] says who may call what.

mod access;
mod initialize;
mod lifecycle;
mod reads;
mod service_owner;
mod tus;
mod tus_protocol;
mod tus_upload;
mod tus_write;
mod upload;

use axum::extract::DefaultBodyLimit;
use axum::routing::{any, get, post};
use axum::Router;

use crate::app::App;
use access::P;
use initialize::initialize;
use reads::{confirm, details, download, overview, search};
use service_owner::{get_resource, get_serviceowner, post_serviceowner, put_resource, statistics};
use upload::{initialize_and_upload, upload};

pub(crate) use lifecycle::{background, tick};

pub fn routes() -> Router<App> {
    // tusdotnet's MapTus takes every method and decides by itself (an unknown one is a bare 404).
    let tus = any(tus::main_route).layer(DefaultBodyLimit::disable());
    let tus_part = any(tus::partial_route).layer(DefaultBodyLimit::disable());
    Router::new()
        .route(&format!("{P}/filetransfer"), post(initialize).get(search))
        .route(&format!("{P}/filetransfer/upload"), post(initialize_and_upload).layer(DefaultBodyLimit::disable()))
        .route(&format!("{P}/filetransfer/{{id}}"), get(overview))
        .route(&format!("{P}/filetransfer/{{id}}/details"), get(details))
        .route(&format!("{P}/filetransfer/{{id}}/upload"), post(upload))
        .route(&format!("{P}/filetransfer/{{id}}/download"), get(download))
        .route(&format!("{P}/filetransfer/{{id}}/confirmdownload"), post(confirm))
        .route(&format!("{P}/filetransfer/upload/tus/{{id}}"), tus)
        .route(&format!("{P}/filetransfer/upload/tus/{{id}}/partial/{{pid}}"), tus_part.clone())
        .route(&format!("{P}/filetransfer/upload/tus/{{id}}/{{pid}}"), tus_part)
        .route(&format!("{P}/resource/{{rid}}"), get(get_resource).put(put_resource))
        .route(&format!("{P}/serviceowner"), get(get_serviceowner).post(post_serviceowner))
        .route(&format!("{P}/statistics/monthly"), get(statistics))
}
