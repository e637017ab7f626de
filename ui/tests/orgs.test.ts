// The header's organisation switcher against a mocked Tauri IPC: it lists
// the organisations by name, switches through the backend and announces it,
// and "add another organisation" asks for a new profile and opens the wizard.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render, screen, fireEvent, waitFor, cleanup } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { profile, type Call } from './mockBackend';
import OrgSwitcher from '../src/lib/OrgSwitcher.svelte';
import { setLang } from '../src/lib/i18n.svelte';
import { transfers } from '../src/lib/transfers.svelte';

let calls: Call[];
let active: string;

beforeEach(() => {
  setLang('nb');
  calls = [];
  active = '310000019';
  const orgs = ['310000019', '310000027'];
  mockIPC((cmd, args: any) => {
    calls.push({ cmd, args });
    switch (cmd) {
      case 'orgs_list': return orgs.map((o) => profile({ orgNumber: o }));
      case 'auth_get_profile': return profile({ orgNumber: active });
      case 'orgs_switch': active = args.org; return profile({ orgNumber: active });
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
