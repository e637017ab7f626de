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

const STEPS = ['environment', 'organisation', 'apiKey', 'client', 'scopes', 'systemUser', 'resource', 'test', 'done'];

function renderSetup() {
  return render(Setup, { settings, sandboxUrl: 'http://127.0.0.1:5555', onchange: (s: Settings) => (settings = s), ongo: (p: string) => went.push(p) });
}

describe('the setup wizard', () => {
  it('walks through all nine steps with Next and Back, and remembers where it was', async () => {
    renderSetup();
    for (const [i, s] of STEPS.entries()) {
      expect(screen.getByTestId(`wizard-${s}`)).toBeTruthy();
      expect(screen.getByTestId(`wizard-step-${s}`).getAttribute('aria-current')).toBe('step');
      expect(screen.getByRole('heading', { level: 2, name: new RegExp(`Steg ${i + 1} av 9`) })).toBeTruthy();
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

  it('shows the Altinn 2 API-key overview as history, with the read-only categories read-only', async () => {
    renderSetup();
    await fireEvent.click(screen.getByTestId('wizard-step-apiKey'));
    const table = screen.getByTestId('api-key-overview').textContent!;
    for (const c of ['LookUp', 'Message', 'Organization', 'UserProfile', 'Authorization', 'ServiceOwner', 'Broker']) expect(table).toContain(`${c}.read`);
    for (const c of ['LookUp', 'Organization', 'UserProfile']) expect(table).not.toContain(`${c}.write`);
    expect(table).toContain('Broker.write');
    expect(screen.getByTestId('api-key-history').textContent).toContain('juni 2026');
    // Broker does not need the key.
    expect(screen.getByTestId('wizard-apiKey').textContent).toContain('Formidling i Altinn 3 trenger ikke API-nøkkel');
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

  it('finishes on the Send page', async () => {
    renderSetup();
    await fireEvent.click(screen.getByTestId('wizard-step-done'));
    await fireEvent.click(screen.getByTestId('wizard-finish'));
    expect(went).toEqual(['send']);
  });
});
