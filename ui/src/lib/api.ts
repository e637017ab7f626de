// The only place the UI talks to the Rust side: one typed wrapper per
// #[tauri::command] in src-tauri/commands/. The types are not written here:
// they are generated from the Rust types into ./generated/wire.ts (see
// src-tauri/bindings.rs; a Rust test fails when that file is stale).
import { invoke, Channel } from '@tauri-apps/api/core';
import type {
  AppError, AppInfo, ConnectionReport, Environment, ErrorCode, IncomingView, KeyInfo, Language, OrgInfo, Profile, ProfileEdit,
  PickedFile, PickedFolder, ProfileView, RefreshReport, ServiceInfo, SendJob, SendOutcome, SavedReceipt, SentReceipt, SentRefreshReport, ServicesAnswer, Settings, SystemUserRequestInfo,
  SystemUserStatus, TransferEvent,
} from './generated/wire';
import { allOf } from './union';

export type * from './generated/wire';

export const ENVIRONMENTS = allOf<Environment>()(['sandbox', 'tt02', 'production']);

export function isAppError(e: unknown): e is AppError {
  return typeof e === 'object' && e !== null && 'code' in e && 'message' in e;
}

/** An error made in the UI itself, with one of Rust's stable codes. */
export function appError(code: ErrorCode, message = '', detail?: string): AppError {
  return detail === undefined ? { code, message } : { code, message, detail };
}

/** Turns anything thrown by invoke into an AppError. */
export function asAppError(e: unknown): AppError {
  if (isAppError(e)) return e;
  return appError('INTERNAL', String(e));
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw asAppError(e);
  }
}

export const api = {
  appInfo: () => call<AppInfo>('app_info'),
  setLanguage: (language: Language) => call<Settings>('set_language', { language }),
  setEnvironment: (environment: Environment) => call<Settings>('set_environment', { environment }),
  setPollInterval: (seconds: number) => call<Settings>('set_poll_interval', { seconds }),
  /** `folder`: a handle from pickFolder (null: the default folder). */
  setDownloadDir: (folder: string | null) => call<Settings>('set_download_dir', { folder }),
  setAutoSave: (enabled: boolean) => call<Settings>('set_auto_save', { enabled }),
  setBackground: (tray: boolean, startAtLogin: boolean) => call<Settings>('set_background', { tray, startAtLogin }),
  setUploadTuning: (tusThresholdMib: number, chunkMib: number) =>
    call<Settings>('set_upload_tuning', { tusThresholdMib, chunkMib }),
  /** `password` goes to the keyring: absent keeps the stored one, empty removes it. */
  setProxy: (proxy: string | null, noProxy: string | null, proxyUser: string | null, password?: string) =>
    call<Settings>('set_proxy', { proxy, noProxy, proxyUser, password }),

  namesOrgs: (numbers: string[]) => call<OrgInfo[]>('names_orgs', { numbers }),
  namesServices: (ids: string[]) => call<ServiceInfo[]>('names_services', { ids }),
  namesSearch: (query: string) => call<OrgInfo[]>('names_search', { query }),

  practiceUseOrg: (org: string) => call<Profile>('practice_use_org', { org }),
  /** The practice sandbox's address, starting it on first need (null outside the Sandbox environment). */
  practiceSandboxUrl: () => call<string | null>('practice_sandbox_url'),

  getProfiles: () => call<ProfileView[]>('auth_get_profiles'),
  /** Every organisation set up in `environment` (the header's switcher). */
  orgsList: (environment: Environment) => call<ProfileView[]>('orgs_list', { environment }),
  orgsSwitch: (environment: Environment, org: string) => call<ProfileView>('orgs_switch', { environment, org }),
  /** "Add another organisation": a new, empty profile for the setup wizard. */
  orgsAdd: (environment: Environment) => call<ProfileView>('orgs_add', { environment }),
  orgsRemove: (environment: Environment, org: string) => call<null>('orgs_remove', { environment, org }),
  getProfile: (environment: Environment) => call<ProfileView>('auth_get_profile', { environment }),
  saveProfile: (environment: Environment, edit: ProfileEdit) => call<ProfileView>('auth_save_profile', { environment, edit }),
  generateKey: (environment: Environment) => call<KeyInfo>('auth_generate_key', { environment }),
  /** `file`: a handle from pickFiles. */
  importKey: (environment: Environment, a: { file?: string; text?: string; password?: string; kid?: string }) =>
    call<KeyInfo>('auth_import_key', { environment, ...a }),
  publicKey: (environment: Environment) => call<KeyInfo>('auth_public_key', { environment }),
  setApiKey: (environment: Environment, key: string | null) => call<boolean>('auth_set_api_key', { environment, key }),
  clearApiKey: (environment: Environment) => call<boolean>('auth_clear_api_key', { environment }),
  registerSystem: (environment: Environment, name?: string) => call<ProfileView>('auth_register_system', { environment, name }),
  requestSystemUser: (environment: Environment, externalRef?: string) =>
    call<SystemUserRequestInfo>('auth_request_system_user', { environment, externalRef }),
  systemUserStatus: (environment: Environment) => call<SystemUserStatus>('auth_system_user_status', { environment }),
  connectionTest: (environment: Environment) => call<ConnectionReport>('auth_connection_test', { environment }),
  /** Chooses the services; with a system user, sends the change request (its approval link comes back). */
  setServices: (environment: Environment, resourceIds: string[]) =>
    call<ServicesAnswer>('auth_set_services', { environment, resourceIds }),
  changeStatus: (environment: Environment) => call<ServicesAnswer>('auth_change_status', { environment }),
  renewSystemUserRequest: (environment: Environment) =>
    call<SystemUserRequestInfo>('auth_renew_system_user_request', { environment }),
  rotationStart: (environment: Environment) => call<KeyInfo>('auth_rotation_start', { environment }),
  rotationTest: (environment: Environment) => call<ProfileView>('auth_rotation_test', { environment }),
  rotationFinish: (environment: Environment) => call<string>('auth_rotation_finish', { environment }),
  rotationCancel: (environment: Environment) => call<ProfileView>('auth_rotation_cancel', { environment }),
  /** Saves an encrypted key backup through the native save dialog; the file name, or null when cancelled. */
  exportKeyBackup: (environment: Environment, passphrase: string) =>
    call<string | null>('auth_export_key_backup', { environment, passphrase }),

  watchTransfers: (onEvent: (e: TransferEvent) => void) => {
    const channel = new Channel<TransferEvent>();
    channel.onmessage = onEvent;
    return call<void>('transfers_watch', { onEvent: channel });
  },
  /** `files`: handles from pickFiles or a drop (the page never names a path). */
  sendFiles: (a: { files: string[]; recipients: string[]; resourceId?: string; reference?: string; properties?: Record<string, string> }) =>
    call<SendOutcome[]>('send_files', a),
  /** Starts the files' checksums in the background, so that Send finds them ready. */
  sendPrepare: (files: string[]) => call<void>('send_prepare', { files }),
  appPainted: () => call<void>('app_painted'),
  /** Unfinished first, then newest first; the first `limit` only if given. */
  sendList: (limit?: number) => call<SendJob[]>('send_list', { limit: limit ?? null }),
  sendPause: (id: string) => call<void>('send_pause', { id }),
  sendResume: (id: string) => call<void>('send_resume', { id }),
  sendCancel: (id: string) => call<void>('send_cancel', { id }),
  sendRetry: (id: string) => call<void>('send_retry', { id }),
  sendRetryAll: () => call<number>('send_retry_all'),
  sendClearFinished: () => call<number>('send_clear_finished'),
  sendRefreshReceipt: (id: string) => call<SendJob>('send_refresh_receipt', { id }),
  /** The Sent list's statuses, refreshed within Altinn's per-minute limits (final transfers are not asked). */
  sentRefresh: () => call<SentRefreshReport>('sent_refresh'),
  /** A receipt with its history: the stored one when complete, else fetched within the limits. */
  sentOpenReceipt: (id: string) => call<SentReceipt>('sent_open_receipt', { id }),
  /** Unfinished first, then newest first; the first `limit` only if given. */
  inboxList: (limit?: number) => call<IncomingView[]>('inbox_list', { limit: limit ?? null }),
  inboxRefresh: () => call<RefreshReport>('inbox_refresh'),
  /** `folder`: a handle from pickFolder (none: the download folder). */
  inboxDownload: (id: string, folder?: string) => call<IncomingView>('inbox_download', { id, folder }),
  /** `confirmed`: the user was warned (files whose `risk` is `warn`); refused kinds never open. */
  inboxOpen: (id: string, confirmed = false) => call<void>('inbox_open', { id, confirmed }),
  inboxReveal: (id: string) => call<void>('inbox_reveal', { id }),
  /** Saves a sent transfer's receipt as PDF where the user picks (null: cancelled). */
  receiptSaveSent: (id: string) => call<SavedReceipt | null>('receipt_save_sent', { id }),
  /** Saves a received file's receipt as PDF where the user picks (null: cancelled). */
  receiptSaveReceived: (id: string) => call<SavedReceipt | null>('receipt_save_received', { id }),
  pickFiles: () => call<PickedFile[]>('pick_files'),
  pickFolder: () => call<PickedFolder | null>('pick_folder'),
};

/** Opens an http(s) address in the user's browser (opener plugin). */
export async function openUrl(url: string): Promise<void> {
  if (!/^https?:\/\//.test(url)) return;
  const { openUrl } = await import('@tauri-apps/plugin-opener');
  try {
    await openUrl(url);
  } catch (e) {
    throw asAppError(e);
  }
}
