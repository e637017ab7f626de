import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { render, screen, fireEvent, waitFor, cleanup } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import Inbox from '../src/pages/Inbox.svelte';
import Sent from '../src/pages/Sent.svelte';
import { setLang } from '../src/lib/i18n.svelte';
import { resetTransfers } from '../src/lib/transfers.svelte';
import { resetNames } from '../src/lib/names.svelte';
import { installBackend, incoming, job, settings as makeSettings, type Backend } from './mockBackend';

let b: Backend;
const settings = makeSettings();

beforeEach(() => { setLang('nb'); localStorage.clear(); resetTransfers(); resetNames(); b = installBackend(); });
afterEach(() => { cleanup(); clearMocks(); });

describe('names for numbers', () => {
  it('shows the sender by name and the service by title, asking once for all rows', async () => {
    b.inbox = [incoming(), incoming({ id: 'in-2', overview: { fileName: 'b.pdf', fileTransferId: 'ft-2' } })];
    render(Inbox, { settings, onchange: () => {}, ongo: () => {} });
    const table = await screen.findByTestId('inbox-table');
    await waitFor(() => expect(table.textContent).toContain('Øvingsetaten Avsender (310 000 019)'));
    const asks = b.calls.filter((c) => c.cmd === 'names_orgs');
    expect(asks).toHaveLength(1);
    expect(asks[0].args.numbers).toEqual(['310000019']);
    expect(screen.getAllByTestId('org-name')[0].title).toContain('Organisasjonsledd');
    await fireEvent.click(screen.getAllByTestId('inbox-details')[0]);
    const dialog = await screen.findByTestId('inbox-details-dialog');
    await waitFor(() => expect(dialog.querySelector('[data-testid="service-name"]')?.textContent).toBe('Øvingstjeneste'));
  });

  it('falls back to the number, saying why, and uses the Nynorsk title in Nynorsk', async () => {
    setLang('nn');
    b.jobs = [job({ phase: 'published', fileTransferId: 'ft-1', recipients: ['310000027'] })];
    render(Sent, { settings });
    await waitFor(() => {
      const unknown = screen.getAllByTestId('org-name').find((e) => e.dataset.org === '310000027');
      expect(unknown?.dataset.status).toBe('notInRegister');
    });
    const recipient = screen.getAllByTestId('org-name').find((e) => e.dataset.org === '310000027')!;
    expect(recipient.textContent).toBe('310 000 027');
    expect(recipient.title).toBe('ikkje i Einingsregisteret');
  });
});
