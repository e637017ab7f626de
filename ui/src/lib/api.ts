// The only place the UI talks to the Rust side. Each function mirrors one
// #[tauri::command] in src-tauri/commands/.
import { invoke, Channel } from '@tauri-apps/api/core';

export type Environment = 'sandbox' | 'tt02' | 'production';
export const ENVIRONMENTS: Environment[] = ['sandbox', 'tt02', 'production'];

export interface Settings {
  language: 'nb' | 'en';
  environment: Environment;
  pollIntervalSecs: number;
  downloadDir?: string | null;
  autoSave?: boolean;
  /** Files of at least this many MiB go through resumable (TUS) uploads. */
  tusThresholdMib?: number;
  /** TUS chunk size in MiB (at least 8). */
  chunkMib?: number;
}

/** The one error shape every command returns. */
export interface AppError {
  code: string;
  message: string;
  detail?: string;
  traceId?: string;
}

export interface AppInfo {
  version: string;
  settings: Settings;
  secretStore: string;
  secretStoreProblem: AppError | null;
  sandboxUrl: string | null;
  storeProblem?: AppError | null;
}

// ---- Credentials (commands/auth.rs) ----

export type TokenMode = 'direct' | 'exchanged';
export type KeySource = 'generated' | 'importedPkcs1Pem' | 'importedPkcs8Pem' | 'importedJwk' | 'certificate';

export interface SystemUserState {
  enabled: boolean;
  systemId: string | null;
  requestId: string | null;
  externalRef: string | null;
  requestStatus: string | null;
  confirmUrl: string | null;
  systemUserId: string | null;
}

export interface Endpoints {
  maskinportenIssuer: string;
  maskinportenToken: string;
  platformBase: string;
  brokerBase: string;
  selfService: string | null;
}

export interface KeyInfo {
  environment: Environment;
  kid: string | null;
  source: KeySource | null;
  jwk: Record<string, unknown> | null;
  jwkJson: string | null;
  pem: string;
  created: number | null;
  expires: number | null;
  expiryWarning: boolean;
  certificateOrg: string | null;
}

export interface Profile {
  environment: Environment;
  orgNumber: string;
  clientId: string;
  kid: string | null;
  keySource: KeySource | null;
  keyCreated: number | null;
  certificateChain: string[];
  scopes: string[];
  resourceIds: string[];
  apiKeySet: boolean;
  tokenMode: TokenMode;
  tokenModeVerifiedAt: number | null;
  systemUser: SystemUserState;
}

export interface ProfileView extends Profile {
  endpoints: Endpoints | null;
  key: KeyInfo | null;
}

export interface ProfileEdit {
  orgNumber?: string;
  clientId?: string;
  kid?: string;
  scopes?: string[];
  resourceIds?: string[];
  tokenMode?: TokenMode;
  useSystemUser?: boolean;
  systemUserExternalRef?: string;
}

export interface SystemUserRequestInfo {
  id: string;
  status: string;
  confirmUrl?: string | null;
  externalRef?: string | null;
  systemId: string;
}

export interface SystemUserStatus {
  request?: SystemUserRequestInfo | null;
  systemUserId?: string | null;
  error?: AppError | null;
}

export type TestStep = 'clock' | 'grant' | 'token' | 'exchange' | 'broker';
export interface StepResult {
  step: TestStep;
  outcome: 'ok' | 'failed' | 'skipped';
  detail?: string;
  error?: AppError;
}
export interface ConnectionReport {
  ok: boolean;
  steps: StepResult[];
  workingMode: TokenMode | null;
  clockSkewSecs: number | null;
  grantedScope: string | null;
  consumer: string | null;
  clientAmr: string | null;
  systemUserId: string | null;
}

// ---- Transfers (commands/transfers.rs) ----

export type SendPhase = 'queued' | 'preparing' | 'uploading' | 'processing' | 'published' | 'failed' | 'paused' | 'cancelled';

export interface RecipientStatus {
  recipient: string;
  currentRecipientFileTransferStatusCode?: string | null;
  currentRecipientFileTransferStatusText?: string | null;
  currentRecipientFileTransferStatusChanged?: string | null;
}

export interface Overview {
  fileTransferId: string;
  resourceId?: string | null;
  fileName?: string | null;
  sendersFileTransferReference?: string | null;
  checksum?: string | null;
  fileTransferSize?: number | null;
  fileTransferStatus?: string | null;
  fileTransferStatusText?: string | null;
  fileTransferStatusChanged?: string | null;
  created?: string | null;
  expirationTime?: string | null;
  sender?: string | null;
  recipients: RecipientStatus[];
  propertyList: Record<string, string>;
}

export interface StatusEvent {
  fileTransferStatus: string;
  fileTransferStatusText?: string | null;
  fileTransferStatusChanged?: string | null;
}
export interface RecipientEvent {
  recipient: string;
  recipientFileTransferStatusCode: string;
  recipientFileTransferStatusText?: string | null;
  recipientFileTransferStatusChanged?: string | null;
}
export interface Receipt extends Overview {
  fileTransferStatusHistory: StatusEvent[];
  recipientFileTransferStatusHistory: RecipientEvent[];
}

export interface SendJob {
  id: string;
  environment: string;
  path: string;
  fileName: string;
  size: number;
  md5: string | null;
  resourceId: string;
  sender: string;
  recipients: string[];
  properties: Record<string, string>;
  reference: string;
  fileTransferId: string | null;
  method: string;
  phase: SendPhase;
  bytesSent: number;
  error: AppError | null;
  receipt?: Receipt | null;
  created: string;
  /** Taken off the Send page by "Clear finished"; still a receipt in Sent. */
  cleared?: boolean;
}

export interface Progress {
  done: number;
  total: number;
  speed: number;
  etaSecs: number | null;
}

export interface SendOutcome {
  path: string;
  job?: SendJob | null;
  error?: AppError | null;
}

export type InboxPhase = 'new' | 'downloading' | 'saved' | 'confirmed' | 'failed';
export interface IncomingFile {
  id: string;
  environment: string;
  overview: Overview;
  phase: InboxPhase;
  savedPath: string | null;
  error: AppError | null;
  firstSeen: string;
  expiresSoon: boolean;
}

export interface RefreshReport {
  new: string[];
  autoSaved: string[];
  failed: [string, AppError][];
  expiringSoon: number;
}

export type TransferEvent =
  | { kind: 'send'; job: SendJob; progress?: Progress | null }
  | { kind: 'inbox'; report: RefreshReport }
  | { kind: 'download'; id: string; done: number; total: number }
  | { kind: 'inboxError'; error: AppError };

export function isAppError(e: unknown): e is AppError {
  return typeof e === 'object' && e !== null && 'code' in e && 'message' in e;
}

/** Turns anything thrown by invoke into an AppError. */
export function asAppError(e: unknown): AppError {
  if (isAppError(e)) return e;
  return { code: 'INTERNAL', message: String(e) };
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
  setLanguage: (language: 'nb' | 'en') => call<Settings>('set_language', { language }),
  setEnvironment: (environment: Environment) => call<Settings>('set_environment', { environment }),
  setPollInterval: (seconds: number) => call<Settings>('set_poll_interval', { seconds }),
  setDownloadDir: (path: string | null) => call<Settings>('set_download_dir', { path }),
  setAutoSave: (enabled: boolean) => call<Settings>('set_auto_save', { enabled }),
  setUploadTuning: (tusThresholdMib: number, chunkMib: number) =>
    call<Settings>('set_upload_tuning', { tusThresholdMib, chunkMib }),

  practiceUseOrg: (org: string) => call<Profile>('practice_use_org', { org }),

  getProfiles: () => call<ProfileView[]>('auth_get_profiles'),
  getProfile: (environment: Environment) => call<ProfileView>('auth_get_profile', { environment }),
  saveProfile: (environment: Environment, edit: ProfileEdit) => call<ProfileView>('auth_save_profile', { environment, edit }),
  generateKey: (environment: Environment) => call<KeyInfo>('auth_generate_key', { environment }),
  importKey: (environment: Environment, a: { path?: string; text?: string; password?: string; kid?: string }) =>
    call<KeyInfo>('auth_import_key', { environment, ...a }),
  publicKey: (environment: Environment) => call<KeyInfo>('auth_public_key', { environment }),
  setApiKey: (environment: Environment, key: string | null) => call<boolean>('auth_set_api_key', { environment, key }),
  clearApiKey: (environment: Environment) => call<boolean>('auth_clear_api_key', { environment }),
  registerSystem: (environment: Environment, name?: string) => call<ProfileView>('auth_register_system', { environment, name }),
  requestSystemUser: (environment: Environment, externalRef?: string) =>
    call<SystemUserRequestInfo>('auth_request_system_user', { environment, externalRef }),
  systemUserStatus: (environment: Environment) => call<SystemUserStatus>('auth_system_user_status', { environment }),
  connectionTest: (environment: Environment) => call<ConnectionReport>('auth_connection_test', { environment }),

  watchTransfers: (onEvent: (e: TransferEvent) => void) => {
    const channel = new Channel<TransferEvent>();
    channel.onmessage = onEvent;
    return call<void>('transfers_watch', { onEvent: channel });
  },
  sendFiles: (a: { paths: string[]; recipients: string[]; resourceId?: string; reference?: string }) =>
    call<SendOutcome[]>('send_files', a),
  sendList: () => call<SendJob[]>('send_list'),
  sendPause: (id: string) => call<void>('send_pause', { id }),
  sendResume: (id: string) => call<void>('send_resume', { id }),
  sendCancel: (id: string) => call<void>('send_cancel', { id }),
  sendRetry: (id: string) => call<void>('send_retry', { id }),
  sendRetryAll: () => call<number>('send_retry_all'),
  sendClearFinished: () => call<number>('send_clear_finished'),
  sendRefreshReceipt: (id: string) => call<SendJob>('send_refresh_receipt', { id }),
  inboxList: () => call<IncomingFile[]>('inbox_list'),
  inboxRefresh: () => call<RefreshReport>('inbox_refresh'),
  inboxDownload: (id: string, folder?: string) => call<IncomingFile>('inbox_download', { id, folder }),
  inboxOpen: (id: string) => call<void>('inbox_open', { id }),
  inboxReveal: (id: string) => call<void>('inbox_reveal', { id }),
  pickFiles: () => call<string[]>('pick_files'),
  pickFolder: () => call<string | null>('pick_folder'),
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
