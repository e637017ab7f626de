// The shell against a mocked Tauri IPC (@tauri-apps/api/mocks): the Rust
// side is exercised for real by the end-to-end test in tests/e2e.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { render, screen, fireEvent, waitFor, cleanup } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import { installBackend, type Backend, type Call } from './mockBackend';
import App from '../src/App.svelte';
import { setLang } from '../src/lib/i18n.svelte';

let backend: Backend;
let calls: Call[];

beforeEach(() => {
  setLang('nb');
  localStorage.clear();
  backend = installBackend();
  calls = backend.calls;
});

afterEach(() => {
  cleanup();
  clearMocks();
});

describe('the shell', () => {
  it('shows the product name, the environment badge and every page', async () => {
    render(App);
    expect(await screen.findByTestId('env-badge')).toHaveProperty('textContent', expect.stringContaining('Øvingsmiljø'));
    expect(screen.getByTestId('product-name').textContent).toBe('Budbringer');
    for (const [id, heading] of [['inbox', 'Innboks'], ['sent', 'Sendt'], ['setup', 'Oppsett'], ['settings', 'Innstillinger'], ['send', 'Send filer']]) {
      await fireEvent.click(screen.getByTestId(`nav-${id}`));
      expect(screen.getByRole('heading', { level: 1 }).textContent).toBe(heading);
      expect(screen.getByTestId(`nav-${id}`).getAttribute('aria-current')).toBe('page');
    }
  });

  it('labels Altinn data on the inbox and sent pages', async () => {
    render(App);
    await screen.findByTestId('env-badge');
    await fireEvent.click(screen.getByTestId('nav-inbox'));
    expect(screen.getByTestId('altinn-label').textContent).toContain('Data fra Altinn');
    await fireEvent.click(screen.getByTestId('nav-sent'));
    expect(screen.getByTestId('altinn-label').textContent).toContain('Data fra Altinn');
  });

  it('switches language through the backend and re-renders', async () => {
    render(App);
    await screen.findByTestId('env-badge');
    await fireEvent.click(screen.getByTestId('nav-settings'));
    await fireEvent.change(screen.getByTestId('language'), { target: { value: 'en' } });
    await waitFor(() => expect(screen.getByTestId('nav-inbox').textContent).toBe('Inbox'));
    expect(calls.some((c) => c.cmd === 'set_language' && c.args.language === 'en')).toBe(true);
    expect(document.documentElement.lang).toBe('en');
  });

  it('changes the environment badge when another environment is chosen', async () => {
    render(App);
    await screen.findByTestId('env-badge');
    await fireEvent.click(screen.getByTestId('nav-setup'));
    await fireEvent.click(screen.getByTestId('wizard-step-environment'));
    await fireEvent.click(screen.getByLabelText('TT02 (test)'));
    await waitFor(() => expect(screen.getByTestId('env-badge').dataset.env).toBe('tt02'));
  });

  it('shows a backend error translated by its code', async () => {
    render(App);
    await screen.findByTestId('env-badge');
    await fireEvent.click(screen.getByTestId('nav-settings'));
    const input = screen.getByLabelText('Se etter nye filer hvert') as HTMLInputElement;
    await fireEvent.input(input, { target: { value: '5' } });
    await fireEvent.submit(input.form!);
    const alert = await screen.findByTestId('error');
    expect(alert.dataset.code).toBe('INVALID_INPUT');
    expect(alert.textContent).toContain('Det du skrev inn kan ikke brukes');
  });

  it('saves the upload tuning for large files', async () => {
    render(App);
    await screen.findByTestId('env-badge');
    await fireEvent.click(screen.getByTestId('nav-settings'));
    const chunk = screen.getByLabelText('Størrelse på hver bit (minst 8)') as HTMLInputElement;
    await fireEvent.input(screen.getByLabelText('Send i biter når filen er minst'), { target: { value: '64' } });
    await fireEvent.input(chunk, { target: { value: '32' } });
    await fireEvent.submit(chunk.form!);
    await waitFor(() => expect(calls.some((c) => c.cmd === 'set_upload_tuning' && c.args.tusThresholdMib === 64 && c.args.chunkMib === 32)).toBe(true));
    expect(backend.settings.chunkMib).toBe(32);
  });

  it('sets a manual proxy, its password going to the back end once and never shown again', async () => {
    render(App);
    await screen.findByTestId('env-badge');
    await fireEvent.click(screen.getByTestId('nav-settings'));
    await fireEvent.click(screen.getByTestId('proxy-manual'));
    await fireEvent.input(screen.getByTestId('proxy-url'), { target: { value: 'http://proxy.kommune.no:8080' } });
    await fireEvent.input(screen.getByTestId('no-proxy'), { target: { value: '.intern.no' } });
    await fireEvent.input(screen.getByTestId('proxy-user'), { target: { value: 'ola' } });
    await fireEvent.input(await screen.findByTestId('proxy-password'), { target: { value: 'hemmelig' } });
    await fireEvent.submit(screen.getByTestId('proxy-form'));
    await waitFor(() => expect(backend.settings.proxy).toBe('http://proxy.kommune.no:8080'));
    const call = calls.find((c) => c.cmd === 'set_proxy')!;
    expect(call.args).toEqual({ proxy: 'http://proxy.kommune.no:8080', noProxy: '.intern.no', proxyUser: 'ola', password: 'hemmelig' });
    // The settings hold no password, and the field is emptied.
    expect(JSON.stringify(backend.settings)).not.toContain('hemmelig');
    expect((screen.getByTestId('proxy-password') as HTMLInputElement).value).toBe('');
    // A bad address is refused with its own message.
    await fireEvent.input(screen.getByTestId('proxy-url'), { target: { value: 'proxy:8080' } });
    await fireEvent.submit(screen.getByTestId('proxy-form'));
    expect((await screen.findByTestId('error')).dataset.code).toBe('PROXY_INVALID');
  });
});
