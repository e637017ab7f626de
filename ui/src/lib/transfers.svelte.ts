// Shared transfer state: the files waiting to be sent, the send queue with
// live progress, and the inbox. Fed by one Tauri Channel (transfers_watch).
import {
  api, asAppError, type AppError, type IncomingView, type PickedFile, type Progress, type SendJob, type TransferEvent,
} from './api';
import { t } from './i18n.svelte';
import { PAGE_ROWS } from './listFilter';
import { painted } from './firstRows.svelte';

// The two long lists are raw state (`$state.raw`): 10,000 entries of history
// stay plain objects, not deep proxies, so a list's first render and a search
// read them at plain speed (docs/BENCHMARKS.md, the lists' rows). They change
// only by being replaced, never in place.
class Transfers {
  /** Files chosen (dropped or picked) and not yet sent: handles with name and size, never paths. */
  pending = $state<PickedFile[]>([]);
  jobs = $state.raw<SendJob[]>([]);
  /** False while `jobs` holds only the first page and the rest of the history is on its way. */
  jobsComplete = $state(true);
  progress = $state<Record<string, Progress>>({});
  inbox = $state.raw<IncomingView[]>([]);
  /** As `jobsComplete`, for the inbox. */
  inboxComplete = $state(true);
  /** Bytes so far of received files that are downloading, by file-transfer ID. */
  downloads = $state<Record<string, { done: number; total: number }>>({});
  inboxError = $state<AppError | null>(null);
  /** The latest milestone, read out by an aria-live region. */
  announcement = $state('');
  /** True while files are dragged over the window. */
  dragging = $state(false);
  /** Bumped whenever files arrive, so the Send page can take focus. */
  added = $state(0);
  /** The active profile's organisation: the queue and Sent show only its jobs. */
  org = $state('');
}

export const transfers = new Transfers();

/** `0192:123456789` or the URN form → `123456789`. */
export function orgDigits(s: string): string {
  return s.replace(/^urn:altinn:organization:identifier-no:/, '').replace(/^0192:/, '');
}

/** Jobs sent by the active organisation (the sandbox lets one computer act as two). */
export function myJobs(): SendJob[] {
  return transfers.org ? transfers.jobs.filter((j) => orgDigits(j.sender) === transfers.org) : transfers.jobs;
}

let watching = false;
const milestones: Record<string, number> = {};

/** The one way files enter the app: drops (a transfer event from Rust) and "Choose files" both call it. */
export function addFiles(files: PickedFile[]): void {
  const fresh: PickedFile[] = [];
  for (const f of files) {
    if (f.handle && !transfers.pending.some((p) => p.handle === f.handle) && !fresh.some((p) => p.handle === f.handle)) fresh.push(f);
  }
  if (fresh.length === 0) return;
  // The MD5 starts now, not when Send is pressed (issue 16); a failure only costs that head start.
  api.sendPrepare(fresh.map((f) => f.handle)).catch(() => {});
  transfers.pending = [...transfers.pending, ...fresh];
  transfers.added++;
  transfers.announcement = t('send.announce.added', { n: fresh.length });
}

export function removeFile(handle: string): void {
  transfers.pending = transfers.pending.filter((p) => p.handle !== handle);
}

let onDropped: (files: PickedFile[]) => void = addFiles;

/** What happens to files dropped on the window (the shell adds them and shows the Send page). */
export function setDropHandler(f: (files: PickedFile[]) => void): void {
  onDropped = f;
}

export function clearPending(): void {
  transfers.pending = [];
}

export function percent(job: SendJob, p?: Progress): number {
  if (job.phase === 'published') return 100;
  const total = p?.total || job.size;
  const done = p?.done ?? job.bytesSent;
  return total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 0;
}

/** Announces started, 25/50/75 %, published and failed; never every tick. */
function milestone(job: SendJob, p?: Progress): void {
  const last = milestones[job.id] ?? -1;
  let next = last;
  let text = '';
  if (job.phase === 'published') {
    next = 1000;
    if (last < 1000) text = t('send.announce.published', { name: job.fileName });
  } else if (job.phase === 'failed') {
    next = 2000;
    if (last < 2000) text = t('send.announce.failed', { name: job.fileName });
  } else if (job.phase === 'uploading' || job.phase === 'preparing') {
    const pct = percent(job, p);
    const step = pct >= 75 ? 75 : pct >= 50 ? 50 : pct >= 25 ? 25 : 0;
    if (last < 0) {
      next = 0;
      text = t('send.announce.started', { name: job.fileName });
    } else if (step > last && last < 1000) {
      next = step;
      text = t('send.announce.percent', { name: job.fileName, pct: step });
    }
  }
  milestones[job.id] = next;
  if (text) transfers.announcement = text;
}

/** Jobs that changed while a list was on its way: newer than what it will bring. */
const changedDuringLoad = new Map<string, SendJob>();
let jobLoads = 0;
let jobsInFlight = 0;

/** A copy of `list` with `item` at `i` (the lists are raw state: replaced, not changed). */
function replaced<T>(list: T[], i: number, item: T): T[] {
  const copy = list.slice();
  copy[i] = item;
  return copy;
}

function upsertJob(job: SendJob, progress?: Progress | null): void {
  if (jobsInFlight > 0) changedDuringLoad.set(job.id, job);
  const i = transfers.jobs.findIndex((j) => j.id === job.id);
  transfers.jobs = i >= 0 ? replaced(transfers.jobs, i, job) : [job, ...transfers.jobs];
  if (progress) transfers.progress[job.id] = progress;
  milestone(job, progress ?? undefined);
}

/** Puts a job fetched again (e.g. a refreshed receipt) in place. */
export function replaceJob(job: SendJob): void {
  const i = transfers.jobs.findIndex((j) => j.id === job.id);
  if (i >= 0) transfers.jobs = replaced(transfers.jobs, i, job);
}

/** Newest first by an ISO 8601 time (a plain comparison: `localeCompare` is slow over 10,000). */
function newestFirst<T>(time: (x: T) => string): (a: T, b: T) => number {
  return (a, b) => {
    const x = time(a);
    const y = time(b);
    return x < y ? 1 : x > y ? -1 : 0;
  };
}

function setJobs(list: SendJob[], complete: boolean): void {
  for (const j of list) if (milestones[j.id] === undefined && (j.phase === 'published' || j.phase === 'failed')) milestones[j.id] = j.phase === 'published' ? 1000 : 2000;
  transfers.jobs = [...list].sort(newestFirst((j) => j.created));
  transfers.jobsComplete = complete;
}

export function onTransferEvent(e: TransferEvent): void {
  if (e.kind === 'send') upsertJob(e.job, e.progress);
  else if (e.kind === 'inbox') {
    transfers.inboxError = null;
    if (e.report.new.length > 0) transfers.announcement = t('inbox.announceNew', { n: e.report.new.length });
    void loadInbox();
  } else if (e.kind === 'download') transfers.downloads[e.id] = { done: e.done, total: e.total };
  else if (e.kind === 'inboxError') transfers.inboxError = e.error;
  else if (e.kind === 'filesDropped') {
    transfers.dragging = false;
    onDropped(e.files);
  }
}

/**
 * Reads a list with `read`. With nothing shown yet (`empty`), the newest
 * PAGE_ROWS come first and the promise settles then; once they are painted the
 * whole list follows (its answer, megabytes of JSON at 10,000 entries, would
 * otherwise hold up their first frame). Otherwise the whole list is read again
 * while the old one stays on screen. `set` gets each answer and whether it is
 * the whole list; nothing more happens once `stale` says a newer load began.
 */
async function loadList<T>(
  read: (limit?: number) => Promise<T[]>,
  empty: boolean,
  stale: () => boolean,
  set: (list: T[], complete: boolean) => void,
): Promise<void> {
  if (!empty) {
    const all = await read();
    if (!stale()) set(all, true);
    return;
  }
  // One more than a page: whether anything is left to load.
  const first = await read(PAGE_ROWS + 1);
  if (stale()) return;
  if (first.length <= PAGE_ROWS) return set(first, true);
  set(first.slice(0, PAGE_ROWS), false);
  void painted()
    .then(() => read())
    .then((all) => !stale() && set(all, true), () => {});
}

/** Loads the active organisation's jobs (see `loadList`; `jobsComplete` says when the whole list is in). */
export async function loadJobs(): Promise<void> {
  const n = ++jobLoads;
  const read = async (limit?: number) => {
    jobsInFlight++;
    try {
      const list = await api.sendList(limit);
      // Jobs that changed while the answer was on its way: the event's version is newer.
      return changedDuringLoad.size > 0 ? list.map((j) => changedDuringLoad.get(j.id) ?? j) : list;
    } finally {
      if (--jobsInFlight === 0) changedDuringLoad.clear();
    }
  };
  await loadList(read, transfers.jobs.length === 0, () => n !== jobLoads, setJobs);
}

let inboxLoads = 0;

/** Loads the active organisation's received files, as `loadJobs`. */
export async function loadInbox(): Promise<void> {
  const n = ++inboxLoads;
  await loadList(api.inboxList, transfers.inbox.length === 0, () => n !== inboxLoads, (list, complete) => {
    transfers.inbox = [...list].sort(newestFirst((f) => f.overview.created ?? f.firstSeen));
    transfers.inboxComplete = complete;
  });
}

/** Opens the channel once per window. */
export async function watch(): Promise<void> {
  if (watching) return;
  watching = true;
  try {
    await api.watchTransfers(onTransferEvent);
  } catch (e) {
    watching = false;
    throw asAppError(e);
  }
}

/** Forget everything (when the environment changes). */
export function resetTransfers(): void {
  jobLoads++;
  inboxLoads++;
  transfers.jobs = [];
  transfers.jobsComplete = true;
  transfers.inbox = [];
  transfers.inboxComplete = true;
  transfers.progress = {};
  transfers.pending = [];
}

/** The header switched to organisation `org`: the lists are its own from now
 * on (the pages load them again); files chosen for sending stay chosen, and
 * jobs already queued keep sending as the organisation they were made for. */
export function switchOrg(org: string): void {
  transfers.org = org;
  jobLoads++;
  transfers.jobs = [];
  transfers.jobsComplete = true;
  inboxLoads++;
  transfers.inbox = [];
  transfers.inboxComplete = true;
  transfers.inboxError = null;
}

const RECENT_KEY = 'budbringer.recentRecipients';

/** Recipients used before (organisation numbers only, no secrets). */
export function recentRecipients(): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(RECENT_KEY) ?? '[]');
    return Array.isArray(v) ? v.filter((x) => typeof x === 'string').slice(0, 20) : [];
  } catch {
    return [];
  }
}

export function rememberRecipients(list: string[]): void {
  const merged = [...list, ...recentRecipients().filter((r) => !list.includes(r))].slice(0, 20);
  try {
    localStorage.setItem(RECENT_KEY, JSON.stringify(merged));
  } catch {
    /* storage full or disabled: remembering is a convenience */
  }
}
