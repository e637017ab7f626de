//! Commands for sending and receiving (issue 5). They translate only: the
//! work is done in [`budbringer_core::transfers`]. Progress reaches the UI through a
//! Tauri [`Channel`] that the UI opens with `transfers_watch`.

use budbringer_core::altinn::profile::{Profile, ProfileStore};
use budbringer_core::environment::Environment;
use budbringer_core::error::{AppError, AppResult, ErrorCode};
use budbringer_core::sync::Locked;
use budbringer_core::transfers::broker::Broker;
use budbringer_core::transfers::engine::SendQueue;
use budbringer_core::transfers::inbox::{Inbox, IncomingFile, RefreshReport};
use budbringer_core::transfers::progress::Progress;
use budbringer_core::transfers::send::{SendJob, SendRequest, SendUpdate, UploadSettings};
use budbringer_core::transfers::validate::OrgNumber;
use budbringer_runtime::state::AppState;
use budbringer_sandbox::{PRACTICE_ORG_A, PRACTICE_ORG_B};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime, State};
use uuid::Uuid;

/// What the UI hears about transfers.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum TransferEvent {
    /// A send job changed or made progress.
    #[serde(rename_all = "camelCase")]
    Send { job: Box<SendJob>, progress: Option<Progress> },
    /// The inbox was refreshed.
    #[serde(rename_all = "camelCase")]
    Inbox { report: RefreshReport },
    /// A received file is downloading.
    #[serde(rename_all = "camelCase")]
    Download { id: Uuid, done: u64, total: u64 },
    /// The inbox could not be refreshed (it will try again by itself).
    #[serde(rename_all = "camelCase")]
    InboxError { error: AppError },
}

/// The channels of the open windows.
#[derive(Default)]
pub struct Watchers(Mutex<Vec<Channel<TransferEvent>>>);

impl Watchers {
    pub fn emit(&self, e: TransferEvent) {
        let mut list = self.0.locked();
        list.retain(|c| c.send(e.clone()).is_ok());
    }
}

/// A received file as the UI shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IncomingView {
    #[serde(flatten)]
    pub file: IncomingFile,
    pub expires_soon: bool,
}

fn view(file: IncomingFile) -> IncomingView {
    let expires_soon = file.expires_soon(time::OffsetDateTime::now_utc());
    IncomingView { file, expires_soon }
}

/// Makes the send queue; jobs left unfinished by the last run start again.
pub fn start_queue<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    let handle = app.clone();
    let provider = Arc::new(move |env: &str| -> AppResult<Broker> {
        let env = parse_env(env)?;
        let profile = handle.state::<ProfileStore>().get(env);
        Ok(Broker::new(handle.state::<AppState>().client(profile)?))
    });
    let handle = app.clone();
    let listener = Arc::new(move |u: SendUpdate| {
        handle.state::<Watchers>().emit(TransferEvent::Send { job: Box::new(u.job), progress: u.progress });
    });
    let tuning = upload_settings(&state.settings());
    let queue =
        tauri::async_runtime::block_on(async { SendQueue::new(state.store.clone(), provider, tuning, 2, listener) });
    match queue.resume_unfinished() {
        Ok(n) if n > 0 => tracing::info!(n, "resumed unfinished transfers"),
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "could not resume unfinished transfers"),
    }
    state.set_queue(queue);
}

/// The upload tuning the settings ask for.
pub fn upload_settings(s: &budbringer_core::settings::Settings) -> UploadSettings {
    const MIB: u64 = 1024 * 1024;
    UploadSettings {
        tus_threshold: s.tus_threshold_mib as u64 * MIB,
        chunk_size: s.chunk_mib as u64 * MIB,
        ..UploadSettings::default()
    }
}

fn parse_env(s: &str) -> AppResult<Environment> {
    Environment::ALL
        .into_iter()
        .find(|e| e.as_str() == s)
        .ok_or_else(|| AppError::invalid_input(format!("unknown environment '{s}'")))
}

/// Polls the inbox of the active environment in the background.
pub fn start_inbox_poller<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let mut wait = std::time::Duration::from_secs(2);
        loop {
            tokio::time::sleep(wait).await;
            let interval = std::time::Duration::from_secs(app.state::<AppState>().settings().poll_interval_secs as u64);
            wait = match refresh(&app).await {
                Ok(_) => interval,
                Err(RefreshError::NotReady) => interval,
                Err(RefreshError::Failed(e)) => {
                    let hint = e.retry_after.unwrap_or(interval * 2);
                    app.state::<Watchers>().emit(TransferEvent::InboxError { error: e.error });
                    hint.max(interval)
                }
            };
        }
    });
}

enum RefreshError {
    /// The active profile cannot receive yet (no organisation, client or resource).
    NotReady,
    Failed(budbringer_core::transfers::broker::CallError),
}

async fn refresh<R: Runtime>(app: &AppHandle<R>) -> Result<RefreshReport, RefreshError> {
    let state = app.state::<AppState>();
    let settings = state.settings();
    let profile = app.state::<ProfileStore>().get(settings.environment);
    if profile.check_ready().is_err() || profile.resource_ids.is_empty() {
        return Err(RefreshError::NotReady);
    }
    if settings.environment == Environment::Sandbox {
        state.sandbox().await.map_err(|e| RefreshError::Failed(e.into()))?;
    }
    let broker = Broker::new(state.client(profile.clone()).map_err(|e| RefreshError::Failed(e.into()))?);
    let (inbox, _) = inbox_reporting(app).map_err(|e| RefreshError::Failed(e.into()))?;
    let auto = settings.auto_save.then(|| download_dir(app, &state));
    let report = inbox.refresh(&broker, &profile.resource_ids, auto.as_deref()).await.map_err(RefreshError::Failed)?;
    notify_new(app, &report);
    app.state::<Watchers>().emit(TransferEvent::Inbox { report: report.clone() });
    Ok(report)
}

/// One summarised desktop notification per batch of new files.
fn notify_new<R: Runtime>(app: &AppHandle<R>, report: &RefreshReport) {
    use tauri_plugin_notification::NotificationExt;
    if report.new.is_empty() {
        return;
    }
    let en = app.state::<AppState>().settings().language == budbringer_core::settings::Language::En;
    let n = report.new.len();
    let (title, body) = match (en, n) {
        (false, 1) => ("Ny fil fra Altinn".to_owned(), "1 ny fil i innboksen.".to_owned()),
        (false, n) => ("Nye filer fra Altinn".to_owned(), format!("{n} nye filer i innboksen.")),
        (true, 1) => ("New file from Altinn".to_owned(), "1 new file in the inbox.".to_owned()),
        (true, n) => ("New files from Altinn".to_owned(), format!("{n} new files in the inbox.")),
    };
    if let Err(e) = app.notification().builder().title(title).body(body).show() {
        tracing::info!(error = %e, "desktop notification not shown");
    }
}

/// Where received files go: the chosen folder, or `Downloads/Budbringer`.
fn download_dir<R: Runtime>(app: &AppHandle<R>, state: &AppState) -> PathBuf {
    if let Some(d) = state.settings().download_dir.filter(|d| !d.trim().is_empty()) {
        return PathBuf::from(d);
    }
    app.path().download_dir().unwrap_or_else(|_| state.data_dir.join("downloads")).join("Budbringer")
}

#[tauri::command]
pub fn transfers_watch(watchers: State<'_, Watchers>, on_event: Channel<TransferEvent>) {
    watchers.0.locked().push(on_event);
}

/// What happened to each file handed to `send_files`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SendOutcome {
    pub path: String,
    pub job: Option<SendJob>,
    pub error: Option<AppError>,
}

/// Checks and queues files for sending. Each file gets its own outcome: one
/// bad file does not stop the others.
#[tauri::command]
pub fn send_files(
    state: State<'_, AppState>,
    profiles: State<'_, ProfileStore>,
    paths: Vec<String>,
    recipients: Vec<String>,
    resource_id: Option<String>,
    reference: Option<String>,
    properties: Option<BTreeMap<String, String>>,
) -> AppResult<Vec<SendOutcome>> {
    let env = state.settings().environment;
    let profile = profiles.get(env);
    profile.check_ready()?;
    let sender = OrgNumber::parse(&profile.org_number)?;
    let resource_id = resource_id
        .filter(|r| !r.trim().is_empty())
        .or_else(|| profile.resource_ids.first().cloned())
        .ok_or_else(|| AppError::invalid_input("choose the Broker resource to send on"))?;
    if paths.is_empty() {
        return Err(AppError::invalid_input("no files chosen"));
    }
    let queue = state.queue()?;
    Ok(paths
        .into_iter()
        .map(|path| {
            let req = SendRequest {
                path: PathBuf::from(&path),
                resource_id: resource_id.clone(),
                recipients: recipients.clone(),
                properties: properties.clone().unwrap_or_default(),
                reference: reference.clone(),
            };
            match queue.enqueue(&req, env.as_str(), &sender, None) {
                Ok(job) => SendOutcome { path, job: Some(job), error: None },
                Err(e) => SendOutcome { path, job: None, error: Some(e) },
            }
        })
        .collect())
}

/// The active organisation's jobs in the active environment (in the sandbox
/// one computer can act as two organisations).
#[tauri::command]
pub fn send_list(state: State<'_, AppState>, profiles: State<'_, ProfileStore>) -> AppResult<Vec<SendJob>> {
    let env = state.settings().environment;
    let me = OrgNumber::parse(&profiles.get(env).org_number).ok().map(|o| o.actor_id());
    Ok(state
        .queue()?
        .list()?
        .into_iter()
        .filter(|j| j.environment == env.as_str() && me.as_ref().is_none_or(|m| &j.sender == m))
        .collect())
}

#[tauri::command]
pub fn send_pause(state: State<'_, AppState>, id: Uuid) -> AppResult<()> {
    state.queue()?.pause(id)
}

#[tauri::command]
pub fn send_resume(state: State<'_, AppState>, id: Uuid) -> AppResult<()> {
    state.queue()?.resume(id)
}

#[tauri::command]
pub fn send_cancel(state: State<'_, AppState>, id: Uuid) -> AppResult<()> {
    state.queue()?.cancel(id)
}

#[tauri::command]
pub async fn send_retry(state: State<'_, AppState>, id: Uuid) -> AppResult<()> {
    state.queue()?.clone().retry(id).await
}

#[tauri::command]
pub async fn send_retry_all(state: State<'_, AppState>) -> AppResult<usize> {
    state.queue()?.clone().retry_all().await
}

/// The receipt with each recipient's current status, fetched from Altinn now.
#[tauri::command]
pub async fn send_refresh_receipt(state: State<'_, AppState>, id: Uuid) -> AppResult<SendJob> {
    state.queue()?.refresh_receipt(id).await
}

#[tauri::command]
pub fn send_clear_finished(state: State<'_, AppState>) -> AppResult<usize> {
    state.queue()?.clear_finished()
}

fn inbox_for(state: &AppState, profiles: &ProfileStore) -> AppResult<(Inbox, budbringer_core::altinn::Profile)> {
    let env = state.settings().environment;
    let profile = profiles.get(env);
    Ok((Inbox::new(state.store.clone(), env.as_str(), &profile.org_number), profile))
}

/// The inbox, telling the open windows how downloads progress.
fn inbox_reporting<R: Runtime>(app: &AppHandle<R>) -> AppResult<(Inbox, budbringer_core::altinn::Profile)> {
    let (inbox, profile) = inbox_for(&app.state::<AppState>(), &app.state::<ProfileStore>())?;
    let handle = app.clone();
    let inbox = inbox.with_progress(Arc::new(move |id, done, total| {
        handle.state::<Watchers>().emit(TransferEvent::Download { id, done, total });
    }));
    Ok((inbox, profile))
}

#[tauri::command]
pub fn inbox_list(state: State<'_, AppState>, profiles: State<'_, ProfileStore>) -> AppResult<Vec<IncomingView>> {
    let (inbox, _) = inbox_for(&state, &profiles)?;
    Ok(inbox.list()?.into_iter().map(view).collect())
}

/// Looks for new files now.
#[tauri::command]
pub async fn inbox_refresh<R: Runtime>(app: AppHandle<R>) -> AppResult<RefreshReport> {
    match refresh(&app).await {
        Ok(r) => Ok(r),
        Err(RefreshError::NotReady) => Err(AppError::new(ErrorCode::ProfileIncomplete)
            .with_detail("set up the organisation, the Maskinporten client and the resource first")),
        Err(RefreshError::Failed(e)) => Err(e.error),
    }
}

/// Downloads a file (to `folder`, or the download folder), verifies and saves
/// it, then confirms it to Altinn unless `confirm` is false.
#[tauri::command]
pub async fn inbox_download<R: Runtime>(
    app: AppHandle<R>,
    id: Uuid,
    folder: Option<String>,
    confirm: Option<bool>,
) -> AppResult<IncomingView> {
    let state = app.state::<AppState>();
    let (inbox, profile) = inbox_reporting(&app)?;
    if profile.environment == Environment::Sandbox {
        state.sandbox().await?;
    }
    let broker = Broker::new(state.client(profile)?);
    let dir = folder.map(PathBuf::from).unwrap_or_else(|| download_dir(&app, &state));
    let file = inbox.save_and_confirm(&broker, id, &dir, confirm.unwrap_or(true)).await.map_err(|e| e.error)?;
    Ok(view(file))
}

/// Opens a saved file with the system's default program.
#[tauri::command]
pub fn inbox_open<R: Runtime>(app: AppHandle<R>, id: Uuid) -> AppResult<()> {
    use tauri_plugin_opener::OpenerExt;
    let path = saved_path(&app, id)?;
    app.opener()
        .open_path(path.to_string_lossy(), None::<&str>)
        .map_err(|e| AppError::new(ErrorCode::FileSystem).with_detail(e.to_string()))
}

/// Shows a saved file in the system's file manager.
#[tauri::command]
pub fn inbox_reveal<R: Runtime>(app: AppHandle<R>, id: Uuid) -> AppResult<()> {
    use tauri_plugin_opener::OpenerExt;
    let path = saved_path(&app, id)?;
    app.opener().reveal_item_in_dir(&path).map_err(|e| AppError::new(ErrorCode::FileSystem).with_detail(e.to_string()))
}

fn saved_path<R: Runtime>(app: &AppHandle<R>, id: Uuid) -> AppResult<PathBuf> {
    let state = app.state::<AppState>();
    let profiles = app.state::<ProfileStore>();
    let (inbox, _) = inbox_for(&state, &profiles)?;
    inbox
        .get(id)?
        .saved_path
        .filter(|p| p.is_file())
        .ok_or_else(|| AppError::new(ErrorCode::NotFound).with_detail("the file is not saved on this computer"))
}

/// The native "choose files" dialog.
#[tauri::command]
pub async fn pick_files() -> Vec<String> {
    rfd::AsyncFileDialog::new()
        .pick_files()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|f| f.path().to_string_lossy().into_owned())
        .collect()
}

/// The native "choose folder" dialog.
#[tauri::command]
pub async fn pick_folder() -> Option<String> {
    rfd::AsyncFileDialog::new().pick_folder().await.map(|f| f.path().to_string_lossy().into_owned())
}

/// Practice mode: act as one of the sandbox's two organisations. Makes a key,
/// registers it as a Maskinporten client and approves a system user in the
/// sandbox, as an administrator would in the real world.
#[tauri::command]
pub async fn practice_use_org(
    state: State<'_, AppState>,
    profiles: State<'_, ProfileStore>,
    org: String,
) -> AppResult<Profile> {
    let org = OrgNumber::parse(&org)?.digits();
    if org != PRACTICE_ORG_A && org != PRACTICE_ORG_B {
        return Err(AppError::invalid_input(format!("the sandbox has {PRACTICE_ORG_A} and {PRACTICE_ORG_B}")));
    }
    let sandbox = state.sandbox().await?;
    let profile = budbringer_runtime::practice::provision(&sandbox.admin(), &org, state.secrets.as_ref())?;
    profiles.save(profile)
}
