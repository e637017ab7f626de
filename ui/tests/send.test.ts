// The Send page: files in as handles (from a drop, as Rust reports it, or the picker),
// live recipient validation, the queue and its actions.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { render, screen, fireEvent, waitFor, cleanup, within } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import Send from '../src/pages/Send.svelte';
import { setLang } from '../src/lib/i18n.svelte';
import { transfers, addFiles, onTransferEvent, resetTransfers } from '../src/lib/transfers.svelte';
import { installBackend, job, pickedFiles, profile, settings as makeSettings, type Backend } from './mockBackend';

let b: Backend;
const settings = makeSettings();

beforeEach(() => {
  setLang('nb');
  localStorage.clear();
  resetTransfers();
  transfers.announcement = '';
  b = installBackend();
});
afterEach(() => { cleanup(); clearMocks(); });

async function renderSend() {
  render(Send, { settings, ongo: () => {} });
  await waitFor(() => expect((screen.getByTestId('resource') as HTMLSelectElement).value).toBe('budbringer-ovelse'));
}

describe('Send', () => {
  it('takes dropped files (handles from Rust) and files from the Choose files button', async () => {
    await renderSend();
    // A drop reaches the page as a transfer event with handles; the same file twice is listed once.
    const [a, b2] = pickedFiles(b, ['/data/a.pdf', '/data/b.txt']);
    onTransferEvent({ kind: 'filesDropped', files: [a, a, b2] });
    await waitFor(() => expect(screen.getByTestId('pending').textContent).toContain('b.txt'));
    expect(screen.getByTestId('pending').querySelectorAll('li')).toHaveLength(2);
    expect(screen.getByTestId('pending').textContent).not.toContain('/data/');
    await fireEvent.click(screen.getByTestId('choose-files'));
    await waitFor(() => expect(screen.getByTestId('pending').textContent).toContain('picked.txt'));
    expect(b.calls.some((c) => c.cmd === 'pick_files')).toBe(true);
  });

  it('checks recipients live, with the mod-11 check digit', async () => {
    await renderSend();
    const input = screen.getByTestId('recipient');
    await fireEvent.input(input, { target: { value: '31000002' } });
    expect(screen.getByTestId('recipient-check').textContent).toContain('ni sifre');
    await fireEvent.input(input, { target: { value: '310000028' } });
    expect(screen.getByTestId('recipient-check').textContent).toContain('kontrollsifferet');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect((screen.getByTestId('add-recipient') as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.input(input, { target: { value: '310000027' } });
    expect(screen.getByTestId('recipient-check').textContent).toContain('Gyldig');
    await fireEvent.click(screen.getByTestId('add-recipient'));
    expect(screen.getByTestId('recipients').textContent).toContain('310 000 027');
  });

  it('sends with recipients, resource and reference, and remembers the recipients', async () => {
    await renderSend();
    addFiles(pickedFiles(b, ['/data/a.pdf']));
    await fireEvent.input(screen.getByTestId('recipient'), { target: { value: '310000027' } });
    await fireEvent.input(screen.getByTestId('reference'), { target: { value: 'Sak 1' } });
    await fireEvent.click(screen.getByTestId('send'));
    await waitFor(() => expect(b.calls.some((c) => c.cmd === 'send_files')).toBe(true));
    const call = b.calls.find((c) => c.cmd === 'send_files')!;
    // Handles go to Rust, never paths.
    expect(call.args).toMatchObject({ files: ['h:/data/a.pdf'], recipients: ['310000027'], resourceId: 'budbringer-ovelse', reference: 'Sak 1' });
    expect(JSON.stringify(call.args)).not.toContain('"/data/');
    await waitFor(() => expect(screen.getByTestId('jobs-active').textContent).toContain('a.pdf'));
    expect(transfers.pending).toEqual([]);
    expect(JSON.parse(localStorage.getItem('budbringer.recentRecipients')!)).toEqual(['310000027']);
  });

  it('shows a per-file error from the back end with advice', async () => {
    b.sendOutcome = (files) => files.map((f) => ({ file: f, job: null, error: { code: 'FILE_EMPTY', message: 'empty' } }));
    await renderSend();
    const empty = pickedFiles(b, ['/data/empty.txt']);
    addFiles(empty);
    await fireEvent.input(screen.getByTestId('recipient'), { target: { value: '310000027' } });
    await fireEvent.click(screen.getByTestId('send'));
    const err = await screen.findByTestId('send-outcome-error');
    expect(err.textContent).toContain('Filen er tom');
    expect(err.textContent).toContain('empty.txt');
    expect(transfers.pending).toEqual(empty);
  });

  it('groups the queue, shows progress with speed and time left, and keeps failed apart', async () => {
    b.jobs = [
      job({ id: 'up', fileName: 'up.pdf', phase: 'uploading', size: 1000 }),
      job({ id: 'bad', fileName: 'bad.pdf', phase: 'failed', error: { code: 'NETWORK', message: 'x', traceId: 't-1' } }),
      job({ id: 'ok', fileName: 'ok.pdf', phase: 'published' }),
    ];
    await renderSend();
    await waitFor(() => screen.getByTestId('jobs-active'));
    onTransferEvent({ kind: 'send', job: b.jobs[0], progress: { done: 500, total: 1000, speed: 2500, etaSecs: 3 } });
    await waitFor(() => expect(within(screen.getByTestId('jobs-active')).getByTestId('job-stats').textContent).toContain('50 %'));
    const bar = screen.getByTestId('jobs-active').querySelector('progress')!;
    expect(bar.value).toBe(50);
    expect(within(screen.getByTestId('jobs-active')).getByTestId('job-stats').textContent).toMatch(/2,5\s?kB\/s/);
    expect(screen.getByTestId('jobs-failed').textContent).toContain('bad.pdf');
    expect(screen.getByTestId('jobs-failed').textContent).toContain('Fikk ikke kontakt');
    expect(screen.getByTestId('jobs-finished').textContent).toContain('ok.pdf');
    expect(screen.getByTestId('jobs-finished').textContent).not.toContain('bad.pdf');
  });

  it('pauses, resumes, cancels and retries through the back end', async () => {
    b.jobs = [job({ id: 'up', phase: 'uploading' }), job({ id: 'p', phase: 'paused' }), job({ id: 'bad', phase: 'failed' })];
    await renderSend();
    await waitFor(() => screen.getByTestId('jobs-active'));
    const rows = screen.getAllByTestId('job');
    await fireEvent.click(within(rows.find((r) => r.dataset.id === 'up')!).getByTestId('pause'));
    await fireEvent.click(within(rows.find((r) => r.dataset.id === 'p')!).getByTestId('resume'));
    await fireEvent.click(within(rows.find((r) => r.dataset.id === 'up')!).getByTestId('cancel'));
    await fireEvent.click(within(rows.find((r) => r.dataset.id === 'bad')!).getByTestId('retry'));
    await fireEvent.click(screen.getByTestId('retry-all'));
    await waitFor(() => expect(b.calls.some((c) => c.cmd === 'send_retry_all')).toBe(true));
    expect(b.calls.filter((c) => c.cmd.startsWith('send_') && c.args?.id).map((c) => [c.cmd, c.args.id])).toEqual([
      ['send_pause', 'up'], ['send_resume', 'p'], ['send_cancel', 'up'], ['send_retry', 'bad'],
    ]);
  });

  it('clears finished items from the queue but keeps failed ones', async () => {
    b.jobs = [job({ id: 'bad', phase: 'failed' }), job({ id: 'ok', phase: 'published' })];
    await renderSend();
    await waitFor(() => screen.getByTestId('jobs-finished'));
    await fireEvent.click(screen.getByTestId('clear-finished'));
    await waitFor(() => expect(screen.queryByTestId('jobs-finished')).toBeNull());
    expect(screen.getByTestId('jobs-failed')).toBeTruthy();
  });

  it('announces milestones, not every tick', async () => {
    const j = job({ id: 'm', fileName: 'm.pdf', phase: 'uploading', size: 100 });
    const heard: string[] = [];
    for (const done of [0, 5, 10, 26, 30, 51, 60, 76, 99]) {
      onTransferEvent({ kind: 'send', job: j, progress: { done, total: 100, speed: 1, etaSecs: 1 } });
      if (heard[heard.length - 1] !== transfers.announcement) heard.push(transfers.announcement);
    }
    onTransferEvent({ kind: 'send', job: { ...j, phase: 'published' }, progress: null });
    heard.push(transfers.announcement);
    expect(heard).toEqual(['m.pdf: sendingen har startet.', 'm.pdf: 25 % sendt.', 'm.pdf: 50 % sendt.', 'm.pdf: 75 % sendt.', 'm.pdf er sendt.']);
  });

  it('asks Rust whether the profile is ready (ProfileView.missing), not the fields', async () => {
    // Every field looks filled in, but Rust says the client ID is missing: the page believes Rust.
    b.profile = profile({ missing: ['clientId'] });
    render(Send, { settings, ongo: () => {} });
    expect(await screen.findByTestId('profile-missing')).toBeTruthy();
    expect((screen.getByTestId('send') as HTMLButtonElement).disabled).toBe(true);
    cleanup();
    b.profile = profile();
    await renderSend();
    expect(screen.queryByTestId('profile-missing')).toBeNull();
  });
});
