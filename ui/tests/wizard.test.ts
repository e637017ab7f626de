import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { render, screen, fireEvent, waitFor, cleanup } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import Setup from '../src/pages/Setup.svelte';
import type { Settings } from '../src/lib/api';
import { setLang } from '../src/lib/i18n.svelte';
import { installBackend, profile, settings as makeSettings, type Backend } from './mockBackend';

let b: Backend;
let settings: Settings;
let went: string[];

beforeEach(() => {
  setLang('nb');
  localStorage.clear();
  settings = makeSettings();
  b = installBackend({ profile: profile({ orgNumber: '', clientId: '', key: null, resourceIds: [], keySource: null,
    systemUser: { enabled: false, systemId: null, requestId: null, externalRef: null, requestStatus: null, confirmUrl: null, systemUserId: null, requestTimedOut: false, rights: [], change: null } }) });
  went = [];
});
afterEach(() => { cleanup(); clearMocks(); });

const STEPS = ['environment', 'role', 'prerequisites', 'organisation', 'client', 'resource', 'accessList', 'systemUser', 'test', 'done'];

function renderSetup() {
  return render(Setup, { settings, sandboxUrl: 'http://127.0.0.1:5555', onchange: (s: Settings) => (settings = s), ongo: (p: string) => went.push(p) });
}

describe('the setup wizard', () => {
  it('walks through all ten steps with Next and Back, and remembers where it was', async () => {
    renderSetup();
    for (const [i, s] of STEPS.entries()) {
      expect(screen.getByTestId(`wizard-${s}`)).toBeTruthy();
      expect(screen.getByTestId(`wizard-step-${s}`).getAttribute('aria-current')).toBe('step');
      expect(screen.getByRole('heading', { level: 2, name: new RegExp(`Steg ${i + 1} av 10`) })).toBeTruthy();
      if (i < STEPS.length - 1) await fireEvent.click(screen.getByTestId('wizard-next'));
    }
    expect(screen.queryByTestId('wizard-next')).toBeNull();
    await fireEvent.click(screen.getByTestId('wizard-back'));
    expect(screen.getByTestId('wizard-test')).toBeTruthy();
    expect(localStorage.getItem('budbringer.wizardStep')).toBe('test');
  });

  it('states the Altinn usage rules', async () => {
    renderSetup();
    const rules = screen.getByTestId('usage-rules').textContent!;
    expect(rules).toContain('Data fra Altinn');
    expect(rules).toContain('ikke laget av Altinn');
    expect(rules).toContain('aldri endret');
  });

  it('offers practice as organisation A and jumps to the connection test', async () => {
    renderSetup();
    await fireEvent.click(screen.getByTestId('practice-a'));
    await waitFor(() => expect(screen.getByTestId('wizard-test')).toBeTruthy());
    expect(b.calls.find((c) => c.cmd === 'practice_use_org')!.args).toEqual({ org: '310000019' });
    await fireEvent.click(screen.getByTestId('wizard-step-organisation'));
    expect(screen.getByTestId('practice-note')).toBeTruthy();
  });

  it('checks the organisation number before saving it', async () => {
    renderSetup();
    await fireEvent.click(screen.getByTestId('wizard-step-organisation'));
    const input = screen.getByTestId('org');
    await fireEvent.input(input, { target: { value: '310000028' } });
    expect(screen.getByRole('button', { name: 'Lagre' }).hasAttribute('disabled')).toBe(true);
    await fireEvent.input(input, { target: { value: '310 000 019' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Lagre' }));
    await waitFor(() => expect(b.calls.some((c) => c.cmd === 'auth_save_profile')).toBe(true));
    expect(b.calls.find((c) => c.cmd === 'auth_save_profile')!.args).toEqual({ environment: 'sandbox', edit: { orgNumber: '310000019' } });
  });

  it('keeps the API key optional under Avansert in the Maskinporten step, with the Altinn 2 overview as history', async () => {
    renderSetup();
    expect(screen.queryByTestId('wizard-step-apiKey')).toBeNull();
    await fireEvent.click(screen.getByTestId('wizard-step-client'));
    const advanced = screen.getByTestId('advanced') as HTMLDetailsElement;
    expect(advanced.tagName).toBe('DETAILS');
    expect(advanced.open).toBe(false);
    expect(advanced.querySelector('summary')!.textContent).toContain('Avansert');
    const table = screen.getByTestId('api-key-overview').textContent!;
    for (const c of ['LookUp', 'Message', 'Organization', 'UserProfile', 'Authorization', 'ServiceOwner', 'Broker']) expect(table).toContain(`${c}.read`);
    for (const c of ['LookUp', 'Organization', 'UserProfile']) expect(table).not.toContain(`${c}.write`);
    expect(table).toContain('Broker.write');
    expect(screen.getByTestId('api-key-history').textContent).toContain('juni 2026');
    // Broker does not need the key.
    expect(advanced.textContent).toContain('Formidling i Altinn 3 trenger ikke API-nøkkel');
  });

  it('generates a key and shows the public JWK and PEM with copy buttons', async () => {
    renderSetup();
    await fireEvent.click(screen.getByTestId('wizard-step-client'));
    await fireEvent.click(screen.getByTestId('generate-key'));
    await waitFor(() => expect(screen.getByTestId('public-key')).toBeTruthy());
    expect((screen.getByLabelText('Offentlig nøkkel (JWK)') as HTMLTextAreaElement).value).toContain('RSA');
    expect((screen.getByLabelText('Offentlig nøkkel (PEM)') as HTMLTextAreaElement).value).toContain('BEGIN PUBLIC KEY');
    expect(screen.getByTestId('copy-jwk')).toBeTruthy();
    expect(screen.getByTestId('copy-pem')).toBeTruthy();
    // "kid" and "scope" in plain words where they first appear.
    expect(screen.getByTestId('kid-explain').textContent).toContain('navnet på nøkkelen');
    expect(screen.getByTestId('scope-explain').textContent).toContain('navngitt tilgang');
  });

  it('stores the role, and the Maskinporten step asks only for the scopes the role needs', async () => {
    renderSetup();
    await fireEvent.click(screen.getByTestId('wizard-step-role'));
    await fireEvent.click(screen.getByTestId('role-send'));
    await waitFor(() => expect(b.calls.some((c) => c.cmd === 'auth_save_profile')).toBe(true));
    expect(b.calls.find((c) => c.cmd === 'auth_save_profile')!.args).toEqual({ environment: 'sandbox', edit: { role: 'send' } });
    await fireEvent.click(screen.getByTestId('wizard-step-client'));
    const scopes = screen.getByTestId('client-scopes').textContent!;
    expect(scopes).toContain('altinn:broker.write');
    expect(scopes).not.toContain('altinn:broker.read');
    expect(scopes).toContain('altinn:authentication/systemregister.write');
    await fireEvent.click(screen.getByTestId('wizard-step-prerequisites'));
    const email = (screen.getByTestId('desk-email') as HTMLTextAreaElement).value;
    expect(email).toContain('altinn:broker.write');
    expect(email).not.toContain('altinn:broker.read');
    // Both: both scopes.
    await fireEvent.click(screen.getByTestId('wizard-step-role'));
    await fireEvent.click(screen.getByTestId('role-both'));
    await fireEvent.click(screen.getByTestId('wizard-step-client'));
    await waitFor(() => expect(screen.getByTestId('client-scopes').textContent).toContain('altinn:broker.read'));
  });

  it('lists the prerequisites of the chosen environment, and remembers the ticks', async () => {
    settings = makeSettings({ environment: 'tt02' });
    const r = renderSetup();
    await fireEvent.click(screen.getByTestId('wizard-step-prerequisites'));
    expect(screen.getByTestId('checklist-testOrg').textContent).toContain('Tenor');
    expect(screen.queryByTestId('checklist-mpDelegation')).toBeNull();
    expect(screen.getByTestId('checklist-vendor').textContent).toContain('https://samarbeid.digdir.no/altinn/kom-i-gang/2868');
    await fireEvent.click(screen.getByLabelText('Tilgang til Formidling'));
    await waitFor(() => expect(b.profile.onboarding.checklist).toEqual(['brokerScopes']));
    expect(screen.getByTestId('checklist-count').textContent).toContain('1 av 6');
    r.unmount();
    // Back later: the tick is still there (kept in the profile).
    renderSetup();
    await waitFor(() => expect((screen.getByLabelText('Tilgang til Formidling') as HTMLInputElement).checked).toBe(true));
    cleanup();
    settings = makeSettings({ environment: 'production' });
    renderSetup();
    expect(screen.getByTestId('checklist-mpDelegation').textContent).toContain('Hovedadministrator');
    expect(screen.getByTestId('checklist-mpTerms')).toBeTruthy();
    expect(screen.queryByTestId('checklist-testOrg')).toBeNull();
  });

  it('asks for the services before the system user, and for the access list before the approval', async () => {
    expect(STEPS.indexOf('resource')).toBeLessThan(STEPS.indexOf('systemUser'));
    expect(STEPS.indexOf('accessList')).toBeLessThan(STEPS.indexOf('systemUser'));
    renderSetup();
    await fireEvent.click(screen.getByTestId('wizard-step-resource'));
    await fireEvent.input(screen.getByTestId('resources'), { target: { value: 'tjeneste-a, tjeneste-b' } });
    await fireEvent.click(screen.getByTestId('resources-save'));
    await waitFor(() => expect(b.calls.some((c) => c.cmd === 'auth_set_services')).toBe(true));
    expect(b.calls.find((c) => c.cmd === 'auth_set_services')!.args).toEqual({ environment: 'sandbox', resourceIds: ['tjeneste-a', 'tjeneste-b'] });
    // No system user yet: nothing to approve.
    expect(screen.queryByTestId('change-request')).toBeNull();
    await fireEvent.click(screen.getByTestId('wizard-next'));
    const msg = (screen.getByTestId('owner-message') as HTMLTextAreaElement).value;
    expect(msg).toContain('tjeneste-a, tjeneste-b');
    expect(msg).toContain('tilgangslisten');
    await fireEvent.click(screen.getByTestId('wizard-next'));
    expect(screen.getByTestId('wizard-explain').textContent).toContain('En systembruker er en bruker i Altinn for et program');
    expect(screen.getByTestId('wizard-systemUser').textContent).toContain('tjeneste-a, tjeneste-b');
    await fireEvent.click(screen.getByTestId('request-system-user'));
    await waitFor(() => expect(screen.getByTestId('approval-link').textContent).toBe('http://127.0.0.1:5555/confirm/r1'));
  });

  it('runs the connection test and shows each step with advice, labelled as Altinn data', async () => {
    renderSetup();
    await fireEvent.click(screen.getByTestId('wizard-step-test'));
    await fireEvent.click(screen.getByTestId('run-test'));
    const report = await screen.findByTestId('test-report');
    expect(report.dataset.ok).toBe('false');
    expect(screen.getAllByTestId('test-step')).toHaveLength(5);
    expect(report.textContent).toContain('altinn:broker.read');
    expect(screen.getByTestId('altinn-label')).toBeTruthy();
  });

  it('adds a service later through a change request and shows its approval link', async () => {
    b.profile = profile();
    renderSetup();
    await fireEvent.click(screen.getByTestId('wizard-step-done'));
    const input = await screen.findByTestId('services-change');
    await waitFor(() => expect((input as HTMLInputElement).value).toBe('budbringer-ovelse'));
    await fireEvent.input(input, { target: { value: 'budbringer-ovelse, ny-tjeneste' } });
    await fireEvent.click(screen.getByTestId('services-change-save'));
    await waitFor(() => expect(screen.getByTestId('change-link').textContent).toBe('http://127.0.0.1:5555/confirm/c1'));
    expect(screen.getByTestId('change-request').textContent).toContain('ny-tjeneste');
    expect(screen.getByTestId('wizard-status').textContent).toContain('venter på godkjenning');
    await fireEvent.click(screen.getByTestId('change-check'));
    await waitFor(() => expect(screen.queryByTestId('change-request')).toBeNull());
    expect(b.calls.some((c) => c.cmd === 'auth_change_status')).toBe(true);
  });

  it('exports a key backup with a passphrase typed twice, and changes the key with overlap', async () => {
    b.profile = profile();
    renderSetup();
    await fireEvent.click(screen.getByTestId('wizard-step-done'));
    const exportButton = await screen.findByTestId('backup-export');
    await fireEvent.input(screen.getByLabelText('Passordfrase'), { target: { value: 'lang nok frase 1' } });
    await fireEvent.input(screen.getByLabelText('Passordfrasen en gang til'), { target: { value: 'lang nok frase 2' } });
    expect(exportButton.hasAttribute('disabled')).toBe(true);
    await fireEvent.input(screen.getByLabelText('Passordfrasen en gang til'), { target: { value: 'lang nok frase 1' } });
    await fireEvent.click(exportButton);
    await waitFor(() => expect(screen.getByTestId('wizard-status').textContent).toContain('budbringer-sandbox-nokkel.p8.pem'));
    expect(b.calls.find((c) => c.cmd === 'auth_export_key_backup')!.args).toEqual({ environment: 'sandbox', passphrase: 'lang nok frase 1' });

    await fireEvent.click(screen.getByTestId('rotation-start'));
    const finish = await screen.findByTestId('rotation-finish');
    expect(finish.hasAttribute('disabled')).toBe(true); // not before a token was fetched with it
    await fireEvent.click(screen.getByTestId('rotation-test'));
    await waitFor(() => expect(screen.getByTestId('rotation-finish').hasAttribute('disabled')).toBe(false));
    await fireEvent.click(screen.getByTestId('rotation-finish'));
    await waitFor(() => expect(screen.getByTestId('wizard-status').textContent).toContain('kid-1'));
    await screen.findByTestId('rotation-start');
  });

  it('finishes on the Send page', async () => {
    renderSetup();
    await fireEvent.click(screen.getByTestId('wizard-step-done'));
    await fireEvent.click(screen.getByTestId('wizard-finish'));
    expect(went).toEqual(['send']);
  });
});
