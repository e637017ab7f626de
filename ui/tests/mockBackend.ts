// A small in-memory stand-in for the Rust commands, for the UI tests. Its
// data has the generated wire types (src/lib/generated/wire.ts), so a Rust
// change that the UI must follow breaks these mocks at type-check time too.
import { mockIPC } from '@tauri-apps/api/mocks';
import type {
  AppInfo, ConnectionReport, IncomingView, OrgInfo, Overview, PickedFile, PickedFolder, ProfilePart, ProfileView, RefreshReport, SendJob,
  SendOutcome, ServiceInfo, ServicesAnswer, Settings,
  SystemUserRequestInfo, SystemUserStatus, TransferDetails,
} from '../src/lib/api';

export interface Call { cmd: string; args: any }

/** What crosses the real IPC: a copy made from JSON, never the back end's own objects. */
function wire<T>(v: T): T {
  return JSON.parse(JSON.stringify(v));
}

/** The mock Enhetsregisteret: the practice sender has a name, other numbers are not in the register. */
export const NAMES: Record<string, string> = { '310000019': 'Øvingsetaten Avsender' };

export function settings(over: Partial<Settings> = {}): Settings {
  return { language: 'nb', environment: 'sandbox', pollIntervalSecs: 60, downloadDir: null, autoSave: false, tusThresholdMib: 32, chunkMib: 16,
    organisationNumber: null, proxy: null, noProxy: null, proxyUser: null, tray: false, startAtLogin: false, ...over };
}

export function overview(over: Partial<Overview> = {}): Overview {
  return {
    fileTransferId: 'ft-1', resourceId: 'budbringer-ovelse', fileName: 'rapport.pdf', sendersFileTransferReference: 'Sak 1', checksum: 'abc',
    useVirusScan: null, fileTransferSize: 2048, fileTransferStatus: 'Published', fileTransferStatusText: null, fileTransferStatusChanged: null,
    created: '2026-11-23T06:00:00Z', expirationTime: '2026-12-23T06:00:00Z', sender: '0192:310000019', recipients: [], propertyList: {},
    published: null, ...over,
  };
}

/** A receipt (Broker's details); histories empty unless given. */
export function details(over: Partial<TransferDetails> = {}): TransferDetails {
  return { ...overview(), fileTransferStatusHistory: [], recipientFileTransferStatusHistory: [], ...over };
}

export function job(over: Partial<SendJob> = {}): SendJob {
  return {
    id: 'job-1', environment: 'sandbox', path: '/tmp/a.pdf', fileName: 'a.pdf', size: 1000, modifiedMs: null, md5: null,
    resourceId: 'budbringer-ovelse', sender: '0192:310000019', recipients: ['310000027'], properties: {},
    reference: 'ref', fileTransferId: null, initializeSent: false, method: 'tus', phase: 'uploading', bytesSent: 0, error: null, receipt: null,
    created: '2026-11-23T06:00:00Z', cleared: false, ...over,
  };
}

export function incoming(over: Partial<Omit<IncomingView, 'overview'>> & { overview?: Partial<Overview> } = {}): IncomingView {
  return {
    id: 'in-1', environment: 'sandbox', phase: 'new', savedPath: null, error: null, firstSeen: '2026-11-23T06:00:00Z', expiresSoon: false,
    risk: null,
    ...over,
    overview: overview(over.overview),
    // As Rust: the cleaned (here: as given) name, never shown raw.
    displayName: over.displayName ?? over.overview?.fileName ?? 'rapport.pdf',
  };
}

/** What Rust's `Profile::missing` answers, near enough for the mocks (Rust also checks the org number's digits). */
function missing(p: Pick<ProfileView, 'orgNumber' | 'clientId' | 'resourceIds'>): ProfilePart[] {
  const parts: [ProfilePart, boolean][] = [['orgNumber', !p.orgNumber], ['clientId', !p.clientId], ['resourceIds', p.resourceIds.length === 0]];
  return parts.filter(([, gone]) => gone).map(([part]) => part);
}

export function profile(over: Partial<ProfileView> = {}): ProfileView {
  const p: ProfileView = {
    environment: 'sandbox', orgNumber: '310000019', clientId: 'client-a', kid: 'kid-1', keySource: 'generated', keyCreated: 1763877600,
    certificateChain: [], scopes: ['altinn:broker.write', 'altinn:broker.read'], resourceIds: ['budbringer-ovelse'], apiKeySet: false,
    tokenMode: 'direct', tokenModeVerifiedAt: null,
    systemUser: { enabled: true, systemId: '310000019_budbringer', requestId: 'r1', externalRef: null, requestStatus: 'Accepted', confirmUrl: 'http://127.0.0.1:5555/confirm/r1', systemUserId: 'su-1', requestTimedOut: false, rights: [], change: null },
    endpoints: { maskinportenIssuer: 'x', maskinportenToken: 'x', platformBase: 'x', brokerBase: 'x', selfService: null, resourceRegistryBase: 'x', registerBase: 'x' },
    key: { environment: 'sandbox', kid: 'kid-1', source: 'generated', jwk: null, jwkJson: '{"kty":"RSA"}', pem: '-----BEGIN PUBLIC KEY-----\nMII\n-----END PUBLIC KEY-----',
      created: 1763877600, expires: 1795413600, expiryWarning: false, certificateOrg: null, durableStorage: true },
    missing: [], pending: null, onboarding: { role: null, checklist: [] }, pendingKey: null,
    ...over,
  };
  return { ...p, missing: over.missing ?? missing(p) };
}

export interface Backend {
  settings: Settings;
  profile: ProfileView;
  jobs: SendJob[];
  inbox: IncomingView[];
  calls: Call[];
  fail: Record<string, any>;
  sendOutcome?: (files: string[], recipients: string[]) => SendOutcome[];
  /** What the pickers and drops handed out: handle → path, as Rust's registry. */
  picked: Record<string, string>;
  /** The Sent page's answers, when a test wants other than the default. */
  sentRefresh?: () => unknown;
  sentOpenReceipt?: (id: string) => unknown;
  /** Holds back every whole-list answer (`send_list`/`inbox_list` without a limit) until it settles. */
  wholeList?: Promise<unknown>;
}

export function installBackend(over: Partial<Backend> = {}): Backend {
  const b: Backend = {
    settings: settings(),
    profile: profile(),
    jobs: [],
    inbox: [],
    calls: [],
    fail: {},
    picked: {},
    ...over,
  };
  mockIPC((cmd, args: any) => {
    b.calls.push({ cmd, args });
    if (b.fail[cmd]) throw b.fail[cmd];
    switch (cmd) {
      case 'app_info':
        return { version: '0.1.0', settings: b.settings, secretStore: 'memory', secretStoreDurable: true, secretStoreProblem: null, sandboxUrl: 'http://127.0.0.1:5555', storeProblem: null } satisfies AppInfo;
      case 'set_language': b.settings = { ...b.settings, language: args.language }; return b.settings;
      case 'set_environment': b.settings = { ...b.settings, environment: args.environment }; return b.settings;
      case 'set_poll_interval':
        if (args.seconds < 10) throw { code: 'INVALID_INPUT', message: 'bad', detail: 'poll interval must be between 10 and 3600 seconds' };
        b.settings = { ...b.settings, pollIntervalSecs: args.seconds }; return b.settings;
      case 'set_download_dir': b.settings = { ...b.settings, downloadDir: args.folder === null ? null : folderOf(args.folder) }; return b.settings;
      case 'set_proxy':
        if (args.proxy !== null && args.proxy !== 'none' && !/^(https?|socks5h?):\/\/[^@/]+/.test(args.proxy)) {
          throw { code: 'PROXY_INVALID', message: 'bad', detail: 'the address must start with http://' };
        }
        b.settings = { ...b.settings, proxy: args.proxy, noProxy: args.noProxy, proxyUser: args.proxyUser }; return b.settings;
      case 'set_auto_save': b.settings = { ...b.settings, autoSave: args.enabled }; return b.settings;
      case 'set_upload_tuning':
        if (args.chunkMib < 8) throw { code: 'INVALID_INPUT', message: 'bad', detail: 'chunk size must be 8 to 1024 MiB' };
        b.settings = { ...b.settings, tusThresholdMib: args.tusThresholdMib, chunkMib: args.chunkMib }; return b.settings;
      case 'auth_get_profile': return b.profile;
      case 'auth_get_profiles': return [b.profile];
      case 'auth_save_profile': {
        // role and checklist live in onboarding (Rust's Profile::apply_edit); the role also sets the scopes.
        const { role, checklist, ...edit } = args.edit;
        const onboarding = { role: role ?? b.profile.onboarding.role, checklist: checklist ?? b.profile.onboarding.checklist };
        const scopes = role === 'send' ? ['altinn:broker.write'] : role === 'receive' ? ['altinn:broker.read'] : role ? ['altinn:broker.write', 'altinn:broker.read'] : b.profile.scopes;
        b.profile = profile({ ...b.profile, ...edit, onboarding, scopes, missing: undefined }); return b.profile;
      }
      case 'auth_set_services': {
        const before = b.profile.resourceIds;
        const ids: string[] = args.resourceIds;
        const change = b.profile.systemUser.systemUserId && ids.join() !== before.join()
          ? { id: 'c1', status: 'New', confirmUrl: 'http://127.0.0.1:5555/confirm/c1', add: ids.filter((r) => !before.includes(r)), remove: before.filter((r) => !ids.includes(r)), timedOut: false }
          : null;
        b.profile = profile({ ...b.profile, resourceIds: ids, systemUser: { ...b.profile.systemUser, change }, missing: undefined });
        return { profile: b.profile, change } satisfies ServicesAnswer;
      }
      case 'auth_change_status': {
        b.profile = profile({ ...b.profile, systemUser: { ...b.profile.systemUser, rights: b.profile.resourceIds, change: null } });
        return { profile: b.profile, change: null } satisfies ServicesAnswer;
      }
      case 'auth_renew_system_user_request':
        return { id: 'r2', status: 'New', confirmUrl: 'http://127.0.0.1:5555/confirm/r2', externalRef: null, systemId: '310000019_budbringer', timedOut: false } satisfies SystemUserRequestInfo;
      case 'auth_rotation_start': {
        const k = { ...profile().key!, kid: 'kid-2' };
        b.profile = { ...b.profile, pending: k, pendingKey: { kid: 'kid-2', created: 1763877600, testedAt: null } };
        return k;
      }
      case 'auth_rotation_test': b.profile = { ...b.profile, pendingKey: { ...b.profile.pendingKey!, testedAt: 1763877700 } }; return b.profile;
      case 'auth_rotation_finish': { const old = b.profile.kid; b.profile = { ...b.profile, kid: 'kid-2', key: b.profile.pending, pending: null, pendingKey: null }; return old; }
      case 'auth_rotation_cancel': b.profile = { ...b.profile, pending: null, pendingKey: null }; return b.profile;
      case 'auth_export_key_backup': return 'budbringer-sandbox-nokkel.p8.pem';
      case 'auth_generate_key': { const k = profile().key!; b.profile = { ...b.profile, key: k, kid: k.kid, keySource: 'generated' }; return k; }
      case 'auth_set_api_key': b.profile = { ...b.profile, apiKeySet: !!args.key }; return b.profile.apiKeySet;
      case 'auth_clear_api_key': b.profile = { ...b.profile, apiKeySet: false }; return false;
      case 'auth_register_system': return b.profile;
      case 'auth_request_system_user':
        return { id: 'r1', status: 'New', confirmUrl: 'http://127.0.0.1:5555/confirm/r1', externalRef: null, systemId: '310000019_budbringer', timedOut: false } satisfies SystemUserRequestInfo;
      case 'auth_system_user_status':
        return { request: { id: 'r1', status: 'Accepted', confirmUrl: null, externalRef: null, systemId: 's', timedOut: false }, systemUserId: 'su-1', error: null } satisfies SystemUserStatus;
      case 'auth_connection_test':
        return { ok: false, steps: [
          { step: 'clock', outcome: 'ok', detail: 'skew 0 s' },
          { step: 'grant', outcome: 'ok' },
          { step: 'token', outcome: 'failed', error: { code: 'SCOPE_NOT_GRANTED', message: 'x', detail: 'invalid_scope' } },
          { step: 'exchange', outcome: 'skipped' },
          { step: 'broker', outcome: 'skipped' },
        ], workingMode: null, clockSkewSecs: 0, grantedScope: null, consumer: null, clientAmr: null, systemUserId: null } satisfies ConnectionReport;
      case 'practice_use_org': b.profile = profile({ orgNumber: args.org }); return b.profile;
      case 'transfers_watch': return null;
      case 'send_list': return args?.limit != null ? wire(b.jobs.slice(0, args.limit)) : (b.wholeList ?? Promise.resolve()).then(() => wire(b.jobs));
      case 'send_files':
        if (b.sendOutcome) return b.sendOutcome(args.files, args.recipients);
        return args.files.map((h: string, i: number) => {
          const p = b.picked[h];
          if (!p) return { file: h, job: null, error: { code: 'NOT_CHOSEN', message: 'not chosen' } } satisfies SendOutcome;
          const j = job({ id: `new-${i}`, path: p, fileName: p.split('/').pop(), recipients: args.recipients, phase: 'queued' });
          b.jobs.push(j);
          return { file: h, job: j, error: null } satisfies SendOutcome;
        });
      case 'app_painted': return null;
      case 'send_pause': case 'send_resume': case 'send_cancel': case 'send_retry': return null;
      case 'send_retry_all': return 1;
      case 'send_refresh_receipt': {
        const j = b.jobs.find((x) => x.id === args.id);
        if (j?.receipt) j.receipt = { ...j.receipt, recipients: j.receipt.recipients.map((r: any) => ({ ...r, currentRecipientFileTransferStatusCode: 'DownloadConfirmed' })) };
        return { ...j };
      }
      case 'sent_refresh': {
        if (b.sentRefresh) return b.sentRefresh();
        // As the back end: the overview's current statuses for what can still change.
        let checked = 0;
        b.jobs = b.jobs.map((j: any) => {
          if (j.phase !== 'published' || !j.receipt) return j;
          checked += 1;
          return { ...j, receipt: { ...j.receipt, recipients: j.receipt.recipients.map((r: any) => ({ ...r, currentRecipientFileTransferStatusCode: 'DownloadConfirmed' })) } };
        });
        return { checked, changed: checked, finalSkipped: 0, waiting: 0, retryInSecs: null, error: null };
      }
      case 'sent_open_receipt': if (b.sentOpenReceipt) return b.sentOpenReceipt(args.id);
        return { job: { ...b.jobs.find((x) => x.id === args.id) }, fetched: true, retryInSecs: null };
      case 'send_clear_finished': {
        // As the back end: finished jobs leave the queue but stay as receipts.
        const done = b.jobs.filter((j: any) => (j.phase === 'published' || j.phase === 'cancelled') && !j.cleared);
        b.jobs = b.jobs.map((j: any) => (done.includes(j) ? { ...j, cleared: true } : j));
        return done.length;
      }
      case 'inbox_list': return args?.limit != null ? wire(b.inbox.slice(0, args.limit)) : (b.wholeList ?? Promise.resolve()).then(() => wire(b.inbox));
      case 'inbox_refresh': return { new: [], autoSaved: [], failed: [], expiringSoon: 0 } satisfies RefreshReport;
      case 'inbox_download': {
        const f = b.inbox.find((x) => x.id === args.id)!;
        f.phase = 'confirmed';
        f.savedPath = `${args.folder ? folderOf(args.folder) : '/home/u/Downloads/Budbringer'}/${f.displayName}`;
        return f;
      }
      case 'inbox_open': {
        // As Rust (commands/inbox.rs check_open): refused kinds never, warned kinds only when confirmed.
        const f = b.inbox.find((x) => x.id === args.id);
        if (f?.risk?.level === 'refuse') throw { code: 'OPEN_REFUSED', message: 'refused' };
        if (f?.risk && !args.confirmed) throw { code: 'OPEN_NEEDS_CONFIRMATION', message: 'confirm' };
        return null;
      }
      case 'inbox_reveal': return null;
      case 'pick_files': return pickedFiles(b, ['/home/u/picked.txt']);
      case 'pick_folder': b.picked['folder-1'] = '/home/u/Arkiv'; return { handle: 'folder-1', path: '/home/u/Arkiv' } satisfies PickedFolder;
      case 'names_orgs':
        return args.numbers.map((n: string) => (NAMES[n]
          ? { orgNumber: n, status: 'found', registeredName: NAMES[n].toUpperCase(), name: NAMES[n], form: { code: 'ORGL', description: 'Organisasjonsledd' }, municipality: 'Oslo', parent: null, subUnit: false, deleted: null, fetched: 1, stale: false }
          : { orgNumber: n, status: 'notInRegister', registeredName: null, name: null, form: null, municipality: null, parent: null, subUnit: false, deleted: null, fetched: 1, stale: false }) satisfies OrgInfo);
      case 'names_search': {
        const q = String(args.query).toLowerCase().replace(/\s+/g, '');
        return Object.entries(NAMES)
          .filter(([n, name]) => n.startsWith(q) || name.toLowerCase().replace(/\s+/g, '').includes(q))
          .map(([n, name]) => ({ orgNumber: n, status: 'found', registeredName: name.toUpperCase(), name, form: { code: 'ORGL', description: 'Organisasjonsledd' }, municipality: 'Oslo', parent: null, subUnit: false, deleted: null, fetched: 1, stale: false }) satisfies OrgInfo);
      }
      case 'names_services':
        return args.ids.map((id: string) => ({ resourceId: id, status: 'found', title: { nb: 'Øvingstjeneste', nn: 'Øvingsteneste', en: 'Practice service' }, ownerOrg: '310000019', ownerCode: 'ovelse', ownerName: { nb: 'Øvingsetaten Avsender' }, resourceType: 'BrokerService', fetched: 1, stale: false }) satisfies ServiceInfo);
    }
    throw new Error(`unexpected command ${cmd}`);
  });
  function folderOf(handle: string): string {
    const p = b.picked[handle];
    if (!p) throw { code: 'NOT_CHOSEN', message: 'not chosen' };
    return p;
  }
  return b;
}

/** Records paths as Rust's registry does and gives the handles (handle = `h:<path>`, to read tests easily). */
export function pickedFiles(b: Backend, paths: string[]): PickedFile[] {
  return paths.map((p) => {
    b.picked[`h:${p}`] = p;
    return { handle: `h:${p}`, name: p.split('/').pop()!, size: 1000 };
  });
}
