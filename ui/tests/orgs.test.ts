// The header's organisation switcher against a mocked Tauri IPC: it lists
// the organisations by name, switches through the backend and announces it,
// and "add another organisation" asks for a new profile and opens the wizard.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render, screen, fireEvent, waitFor, cleanup } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { profile, type Call } from './mockBackend';
import OrgSwitcher from '../src/lib/OrgSwitcher.svelte';
import OrgsOnComputer from '../src/lib/OrgsOnComputer.svelte';
import SendSender from '../src/lib/SendSender.svelte';
import { setLang } from '../src/lib/i18n.svelte';
import { transfers } from '../src/lib/transfers.svelte';

let calls: Call[];
let active: string;
let orgs: string[];
/** What orgs_remove answers next: an error code, or null to remove. */
let refuse: string | null;

beforeEach(() => {
  setLang('nb');
  calls = [];
  active = '310000019';
  orgs = ['310000019', '310000027'];
  refuse = null;
  mockIPC((cmd, args: any) => {
    calls.push({ cmd, args });
    switch (cmd) {
      case 'orgs_list': return orgs.map((o) => profile({ orgNumber: o }));
      case 'auth_get_profile': return profile({ orgNumber: active });
      case 'orgs_switch': active = args.org; return profile({ orgNumber: active });
      case 'orgs_remove':
        if (refuse) throw { code: refuse, message: 'still sending' };
        orgs = orgs.filter((o) => o !== args.org);
        if (active === args.org) active = orgs[0] ?? '';
        return null;
      case 'orgs_add': active = ''; orgs.unshift(''); return profile({ orgNumber: '' });
      case 'names_orgs': return args.numbers.map((n: string) => ({ orgNumber: n, status: 'found', name: n === '310000027' ? 'Øvingsetaten Mottaker' : 'Øvingsetaten Avsender', registeredName: null, form: null, municipality: null, parent: null, stale: false }));
      default: return null;
    }
  });
});

afterEach(() => {
  cleanup();
  clearMocks();
});

describe('the organisation switcher', () => {
  it('lists the organisations by name, switches and announces it', async () => {
    const onswitch = vi.fn();
    render(OrgSwitcher, { env: 'sandbox', onswitch, onadd: () => {} });
    const select = (await screen.findByLabelText('Organisasjon')) as HTMLSelectElement;
    await waitFor(() => expect(select.value).toBe('310000019'));
    await waitFor(() => expect(select.textContent).toContain('Øvingsetaten Mottaker (310 000 027)'));
    await fireEvent.change(select, { target: { value: '310000027' } });
    await waitFor(() => expect(onswitch).toHaveBeenCalledWith('310000027'));
    expect(calls.some((c) => c.cmd === 'orgs_switch' && c.args.org === '310000027' && c.args.environment === 'sandbox')).toBe(true);
    expect(transfers.announcement).toContain('Du jobber nå for Øvingsetaten Mottaker');
  });

  it('starts a new organisation for the wizard', async () => {
    const onadd = vi.fn();
    render(OrgSwitcher, { env: 'sandbox', onswitch: () => {}, onadd });
    const select = (await screen.findByLabelText('Organisasjon')) as HTMLSelectElement;
    await fireEvent.change(select, { target: { value: '__add__' } });
    await waitFor(() => expect(onadd).toHaveBeenCalled());
    expect(calls.some((c) => c.cmd === 'orgs_add')).toBe(true);
    await waitFor(() => expect(screen.getByTestId('org-option-new').textContent).toBe('Ny organisasjon (under oppsett)'));
  });
});

describe('removing an organisation (Settings)', () => {
  it('says what goes and what stays, refuses while files are on their way, then removes', async () => {
    const onremoved = vi.fn();
    render(OrgsOnComputer, { env: 'sandbox', onremoved });
    await fireEvent.click(await screen.findByTestId('org-remove-310000019'));
    const dialog = await screen.findByTestId('org-remove-dialog');
    expect(dialog.textContent).toContain('nøkkelen og API-nøkkelen');
    expect(dialog.textContent).toContain('filer som allerede er lagret');
    expect(dialog.textContent).toContain('Etterpå bytter appen');
    refuse = 'ORG_HAS_UNFINISHED_SENDS';
    await fireEvent.click(screen.getByTestId('org-remove-confirm'));
    await waitFor(() => expect(screen.getByTestId('error').textContent).toContain('avbryt dem på Send-siden'));
    expect(onremoved).not.toHaveBeenCalled();
    expect(screen.getByTestId('org-remove-dialog')).toBeTruthy();
    refuse = null;
    await fireEvent.click(screen.getByTestId('org-remove-confirm'));
    await waitFor(() => expect(onremoved).toHaveBeenCalledWith('310000027'));
    expect(transfers.announcement).toContain('er fjernet fra denne datamaskinen');
    await waitFor(() => expect(screen.queryByTestId('org-here-310000019')).toBeNull());
    expect(screen.queryByTestId('org-remove-dialog')).toBeNull();
  });
});

describe('the sender on the Send page', () => {
  it('offers the other ready organisation and switches the app to it', async () => {
    const onswitch = vi.fn();
    render(SendSender, { env: 'sandbox', active: '310000019', onswitch });
    const select = (await screen.findByLabelText('Sendes fra')) as HTMLSelectElement;
    await waitFor(() => expect(select.textContent).toContain('Øvingsetaten Mottaker (310 000 027)'));
    expect(select.value).toBe('310000019');
    await fireEvent.change(select, { target: { value: '310000027' } });
    await waitFor(() => expect(onswitch).toHaveBeenCalledWith('310000027'));
    expect(calls.some((c) => c.cmd === 'orgs_switch' && c.args.org === '310000027')).toBe(true);
    expect(transfers.announcement).toContain('Filene sendes nå fra Øvingsetaten Mottaker');
  });

  it('with one organisation ready, just shows it', async () => {
    orgs = ['310000019'];
    render(SendSender, { env: 'sandbox', active: '310000019', onswitch: () => {} });
    await waitFor(() => expect(screen.getByTestId('send-sender-name').textContent).toBe('Øvingsetaten Avsender (310 000 019)'));
    expect(screen.queryByTestId('send-sender-select')).toBeNull();
  });
});
