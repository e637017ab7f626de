import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { render, screen, fireEvent, waitFor, cleanup, within } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import Sent from '../src/pages/Sent.svelte';
import { setLang, t } from '../src/lib/i18n.svelte';
import { resetTransfers, onTransferEvent } from '../src/lib/transfers.svelte';
import { installBackend, details, job, settings as makeSettings, type Backend } from './mockBackend';

let b: Backend;
const settings = makeSettings();

beforeEach(() => { setLang('nb'); localStorage.clear(); resetTransfers(); b = installBackend(); });
afterEach(() => { cleanup(); clearMocks(); });

describe('Sent within Altinn\'s limits', () => {
  it('says what waits for the next minute, and shows the stored receipt when details must wait', async () => {
    b.jobs = [job({
      id: 's1', fileName: 'sendt.pdf', phase: 'published', fileTransferId: 'ft-9', properties: { saksnummer: '2026/42' },
      receipt: details({ fileTransferId: 'ft-9', fileTransferStatus: 'Published', propertyList: { saksnummer: '2026/42' }, recipients: [] }),
    })];
    // The back end's answer when the minute's budget is spent.
    const original = b.jobs[0];
    b.sentRefresh = () => ({ checked: 60, changed: 0, finalSkipped: 150, waiting: 40, retryInSecs: 42, error: null });
    b.sentOpenReceipt = () => ({ job: original, fetched: false, retryInSecs: 17 });
    render(Sent, { settings });
    await waitFor(() => expect(screen.getByTestId('sent-status').textContent).toContain('40 filer venter'));
    expect(screen.getByTestId('sent-status').textContent).toContain('42 sekunder');
    await fireEvent.click(await screen.findByTestId('receipt'));
    const dlg = screen.getByTestId('receipt-dialog');
    await waitFor(() => expect(within(dlg).getByTestId('receipt-note').textContent).toContain('prøv igjen om 17 sekunder'));
    expect(within(dlg).getByTestId('receipt-properties').textContent).toContain('2026/42');
    expect(within(dlg).getByTestId('receipt-print')).toBeTruthy();
  });
});

/** `n` published jobs, the newest (`s{n-1}`) first, as the back end lists them. */
function history(n: number) {
  return Array.from({ length: n }, (_, i) => job({
    id: `s${i}`, fileName: `brev ${i}.pdf`, phase: 'published', fileTransferId: `ft-${i}`,
    created: `2026-11-01T10:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z`,
  })).reverse();
}

describe('search and long lists', () => {
  it('shows the newest page at once and says the rest of the history is on its way', async () => {
    let release = () => {};
    b.wholeList = new Promise<void>((r) => (release = r));
    b.jobs = history(450);
    render(Sent, { settings });
    await waitFor(() => expect(screen.getAllByTestId('sent-row')).toHaveLength(200));
    const count = () => screen.getByTestId('sent-search-count').textContent ?? '';
    expect(count()).toContain('Viser de 200 nyeste. Henter resten av historikken');
    expect(screen.getAllByTestId('sent-row')[0].dataset.id).toBe('s449');
    // A search meanwhile says it has looked in the newest only.
    await fireEvent.input(screen.getByTestId('sent-search'), { target: { value: 'brev 44' } });
    await waitFor(() => expect(count()).toContain('av de 200 nyeste passer så langt'));
    release();
    await waitFor(() => expect(count()).toContain('av 450 passer'));
    expect(screen.getAllByTestId('sent-row').map((r) => r.dataset.id)).toContain('s44');
  });

  it('keeps a job that changed while the whole list was on its way in its newer form', async () => {
    let release = () => {};
    b.wholeList = new Promise<void>((r) => (release = r));
    b.jobs = history(300);
    render(Sent, { settings });
    await waitFor(() => expect(screen.getAllByTestId('sent-row')).toHaveLength(200));
    // The whole list has been asked for; its answer (the back end's older copy) is held back.
    await waitFor(() => expect(b.calls.some((c) => c.cmd === 'send_list' && c.args.limit === null)).toBe(true));
    const newer = { ...b.jobs[0], phase: 'failed' as const };
    onTransferEvent({ kind: 'send', job: newer, progress: null });
    const first = () => screen.getAllByTestId('sent-row')[0];
    await waitFor(() => expect(first().textContent).toContain(t('phase.failed')));
    release();
    await waitFor(() => expect(screen.getByTestId('sent-search-count').textContent).toContain('Viser 200 av 300'));
    expect(first().dataset.id).toBe('s299');
    expect(first().textContent).toContain(t('phase.failed'));
  });

  it('filters by name, organisation and reference, says how many, and shows a page of rows at a time', async () => {
    b.jobs = Array.from({ length: 250 }, (_, i) => job({
      id: `s${i}`, fileName: `brev ${i}.pdf`, phase: 'published', fileTransferId: `ft-${i}`, reference: `sak-${i}`,
      recipients: [i === 7 ? '310000019' : '310000027'],
    }));
    render(Sent, { settings });
    await screen.findByTestId('sent-table');
    await waitFor(() => expect(screen.getAllByTestId('sent-row')).toHaveLength(200));
    // The newest page first, then the rest of the history behind it.
    await waitFor(() => expect(screen.getByTestId('sent-search-count').textContent).toContain('Viser 200 av 250'));
    expect(b.calls.filter((c) => c.cmd === 'send_list').map((c) => c.args.limit)).toEqual([201, null]);
    await fireEvent.click(screen.getByTestId('sent-more'));
    await waitFor(() => expect(screen.getAllByTestId('sent-row')).toHaveLength(250));
    expect(screen.queryByTestId('sent-more')).toBeNull();

    const search = screen.getByTestId('sent-search') as HTMLInputElement;
    await fireEvent.input(search, { target: { value: 'sak-249' } });
    await waitFor(() => expect(screen.getAllByTestId('sent-row')).toHaveLength(1));
    expect(screen.getByTestId('sent-search-count').textContent).toContain('1 av 250 passer');
    // By the recipient's name from the register, and by its number written with spaces.
    await fireEvent.input(search, { target: { value: 'øvingsetaten avsender' } });
    await waitFor(() => expect(screen.getAllByTestId('sent-row').map((r) => r.dataset.id)).toEqual(['s7']));
    await fireEvent.input(search, { target: { value: '310 000 019' } });
    await waitFor(() => expect(screen.getAllByTestId('sent-row').map((r) => r.dataset.id)).toEqual(['s7']));
    await fireEvent.input(search, { target: { value: 'finnes ikke' } });
    await waitFor(() => expect(screen.getByTestId('sent-no-match')).toBeTruthy());
  });
});
