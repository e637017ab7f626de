import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { render, screen, fireEvent, waitFor, cleanup, within } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import Inbox from '../src/pages/Inbox.svelte';
import Sent from '../src/pages/Sent.svelte';
import { setLang } from '../src/lib/i18n.svelte';
import { resetTransfers } from '../src/lib/transfers.svelte';
import { installBackend, details, incoming, job, profile, settings as makeSettings, type Backend } from './mockBackend';

let b: Backend;
const settings = makeSettings();

beforeEach(() => { setLang('nb'); localStorage.clear(); resetTransfers(); b = installBackend(); });
afterEach(() => { cleanup(); clearMocks(); });

describe('Inbox', () => {
  it('lists received files with sender, size, dates and status, labelled as Altinn data', async () => {
    b.inbox = [incoming(), incoming({ id: 'in-2', expiresSoon: true, overview: { fileName: 'snart.pdf', fileTransferId: 'ft-2' } })];
    render(Inbox, { settings, onchange: () => {}, ongo: () => {} });
    const table = await screen.findByTestId('inbox-table');
    expect(table.textContent).toContain('rapport.pdf');
    expect(table.textContent).toContain('310 000 019');
    expect(table.textContent).toContain('2 kB');
    expect(screen.getByTestId('altinn-label').textContent).toContain('Data fra Altinn');
    expect(screen.getByTestId('expiry-warning').textContent).toContain('1 fil(er) slettes snart');
  });

  it('downloads, saves as, opens and shows in folder', async () => {
    b.inbox = [incoming(), incoming({ id: 'in-2', overview: { fileName: 'b.pdf', fileTransferId: 'ft-2' } })];
    render(Inbox, { settings, onchange: () => {}, ongo: () => {} });
    await screen.findByTestId('inbox-table');
    const row = () => screen.getAllByTestId('inbox-row').find((r) => r.dataset.id === 'in-1')!;
    await fireEvent.click(within(row()).getByTestId('download'));
    await waitFor(() => expect(row().dataset.phase).toBe('confirmed'));
    await waitFor(() => expect(screen.getByTestId('inbox-status-message').textContent).toContain('Downloads/Budbringer/rapport.pdf'));
    await fireEvent.click(within(row()).getByTestId('open'));
    await fireEvent.click(within(row()).getByTestId('reveal'));
    const other = screen.getAllByTestId('inbox-row').find((r) => r.dataset.id === 'in-2')!;
    await fireEvent.click(within(other).getByTestId('save-as'));
    await waitFor(() => expect(b.calls.some((c) => c.cmd === 'inbox_download' && c.args.folder === 'folder-1')).toBe(true));
    expect(b.calls.map((c) => c.cmd)).toEqual(expect.arrayContaining(['inbox_open', 'inbox_reveal', 'pick_folder']));
  });

  it('shows the cleaned name, never the sender\'s raw one, and the raw one made visible in the details', async () => {
    // Rust sends the raw name in overview.fileName and the name to show in displayName.
    b.inbox = [incoming({ displayName: 'rapport_fdp.exe', risk: { level: 'refuse', kind: 'program' }, overview: { fileName: 'rapport\u202Efdp.exe' } })];
    render(Inbox, { settings, onchange: () => {}, ongo: () => {} });
    const table = await screen.findByTestId('inbox-table');
    expect(screen.getByTestId('inbox-file').textContent).toContain('rapport_fdp.exe');
    expect(table.textContent).not.toContain('\u202E');
    expect(screen.getByTestId('inbox-risk').textContent).toContain('Program');
    await fireEvent.click(screen.getByTestId('inbox-details'));
    const dlg = screen.getByTestId('inbox-details-dialog');
    expect(dlg.textContent).not.toContain('\u202E');
    expect(within(dlg).getByTestId('inbox-raw-name').textContent).toBe('rapport⟨U+202E⟩fdp.exe');
  });

  it('refuses to open programs and warns before files that can carry code', async () => {
    b.inbox = [
      incoming({ id: 'exe', phase: 'confirmed', savedPath: '/d/x.exe', displayName: 'x.exe', risk: { level: 'refuse', kind: 'program' } }),
      incoming({ id: 'xlsm', phase: 'confirmed', savedPath: '/d/b.xlsm', displayName: 'b.xlsm', risk: { level: 'warn', kind: 'macro' } }),
      incoming({ id: 'pdf', phase: 'confirmed', savedPath: '/d/c.pdf', displayName: 'c.pdf' }),
    ];
    render(Inbox, { settings, onchange: () => {}, ongo: () => {} });
    await screen.findByTestId('inbox-table');
    const row = (id: string) => screen.getAllByTestId('inbox-row').find((r) => r.dataset.id === id)!;
    // A program: a refusal with the reason, no way to open it from here, only to show it in its folder.
    await fireEvent.click(within(row('exe')).getByTestId('open'));
    let dlg = screen.getByTestId('open-warning');
    expect(screen.getByTestId('open-warning-reason').textContent).toContain('Filen er et program');
    expect(within(dlg).queryByTestId('open-anyway')).toBeNull();
    await fireEvent.click(within(dlg).getByTestId('open-reveal'));
    expect(b.calls.some((c) => c.cmd === 'inbox_open')).toBe(false);
    await waitFor(() => expect(b.calls.some((c) => c.cmd === 'inbox_reveal' && c.args.id === 'exe')).toBe(true));
    // Macros: a warning first; opened only when the user says so, and Rust is told it was confirmed.
    await fireEvent.click(within(row('xlsm')).getByTestId('open'));
    dlg = screen.getByTestId('open-warning');
    expect(screen.getByTestId('open-warning-reason').textContent).toContain('makroer');
    expect(b.calls.some((c) => c.cmd === 'inbox_open')).toBe(false);
    await fireEvent.click(within(dlg).getByTestId('open-anyway'));
    await waitFor(() => expect(b.calls.some((c) => c.cmd === 'inbox_open' && c.args.id === 'xlsm' && c.args.confirmed === true)).toBe(true));
    // An ordinary document opens at once.
    await fireEvent.click(within(row('pdf')).getByTestId('open'));
    await waitFor(() => expect(b.calls.some((c) => c.cmd === 'inbox_open' && c.args.id === 'pdf' && c.args.confirmed === false)).toBe(true));
  });

  it('shows a download error with advice and technical details', async () => {
    b.inbox = [incoming()];
    b.fail.inbox_download = { code: 'DOWNLOAD_CHECKSUM_MISMATCH', message: 'md5', detail: 'expected abc', traceId: 'trace-9' };
    render(Inbox, { settings, onchange: () => {}, ongo: () => {} });
    await screen.findByTestId('inbox-table');
    await fireEvent.click(screen.getByTestId('download'));
    const err = await screen.findByTestId('error');
    expect(err.textContent).toContain('stemmer ikke med kontrollsummen');
    expect(err.textContent).toContain('trace-9');
  });

  it('turns auto-save on through the back end', async () => {
    let saved: any = null;
    render(Inbox, { settings, onchange: (s: any) => (saved = s), ongo: () => {} });
    await fireEvent.click(await screen.findByTestId('autosave'));
    await waitFor(() => expect(saved?.autoSave).toBe(true));
  });

  it('shows the details in a dialog with the Altinn label', async () => {
    b.inbox = [incoming({ overview: { propertyList: { saksnr: '42' } } })];
    render(Inbox, { settings, onchange: () => {}, ongo: () => {} });
    await screen.findByTestId('inbox-table');
    await fireEvent.click(screen.getByTestId('inbox-details'));
    const dlg = screen.getByTestId('inbox-details-dialog');
    expect(within(dlg).getByTestId('altinn-label')).toBeTruthy();
    expect(dlg.textContent).toContain('saksnr');
    await fireEvent.keyDown(dlg, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('inbox-details-dialog')).toBeNull());
  });

  it('asks Rust whether the profile is ready (ProfileView.missing)', async () => {
    b.profile = profile({ missing: ['resourceIds'] });
    render(Inbox, { settings, onchange: () => {}, ongo: () => {} });
    expect(await screen.findByTestId('profile-missing')).toBeTruthy();
    expect((screen.getByTestId('inbox-refresh') as HTMLButtonElement).disabled).toBe(true);
  });
});

describe('Sent', () => {
  it('shows receipts with each recipient status and the history', async () => {
    b.jobs = [job({
      id: 's1', fileName: 'sendt.pdf', phase: 'published', fileTransferId: 'ft-9',
      receipt: details({
        fileTransferId: 'ft-9', fileTransferStatus: 'Published', propertyList: {},
        recipients: [{ recipient: '0192:310000027', currentRecipientFileTransferStatusCode: 'Initialized',
          currentRecipientFileTransferStatusText: null, currentRecipientFileTransferStatusChanged: null }],
        fileTransferStatusHistory: [
          { fileTransferStatus: 'Initialized', fileTransferStatusText: null, fileTransferStatusChanged: null },
          { fileTransferStatus: 'Published', fileTransferStatusText: null, fileTransferStatusChanged: null },
        ],
        recipientFileTransferStatusHistory: [{ recipient: '0192:310000027', recipientFileTransferStatusCode: 'DownloadConfirmed',
          recipientFileTransferStatusText: null, recipientFileTransferStatusChanged: null }],
      }),
    }), job({ id: 'other-org', sender: '0192:310000027', phase: 'published', fileName: 'fra-b.pdf' })];
    render(Sent, { settings });
    const table = await screen.findByTestId('sent-table');
    expect(table.textContent).toContain('sendt.pdf');
    expect(table.textContent).not.toContain('fra-b.pdf');
    // The receipt taken at publishing is fetched again when the page opens.
    await waitFor(() => expect(screen.getByTestId('sent-recipient').textContent).toContain('310 000 027: Har hentet filen'));
    expect(b.calls.some((c) => c.cmd === 'sent_refresh')).toBe(true);
    expect(b.calls.some((c) => c.cmd === 'send_refresh_receipt')).toBe(false);
    await fireEvent.click(screen.getByTestId('receipt'));
    await waitFor(() => expect(b.calls.some((c) => c.cmd === 'sent_open_receipt' && c.args.id === 's1')).toBe(true));
    const dlg = screen.getByTestId('receipt-dialog');
    expect(within(dlg).getByTestId('altinn-label')).toBeTruthy();
    expect(within(dlg).getByTestId('receipt-history').querySelectorAll('li')).toHaveLength(3);
  });
});
