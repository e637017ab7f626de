// Every page and every wizard step through axe-core, with mocked IPC: zero
// serious or critical violations. jsdom has no layout, so the
// color-contrast rule cannot work here and is turned off; contrast is
// checked pair by pair, light and dark, in tests/contrast.test.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { render, screen, fireEvent, waitFor, cleanup } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import axe from 'axe-core';
import App from '../src/App.svelte';
import { setLang } from '../src/lib/i18n.svelte';
import { addFiles, resetTransfers } from '../src/lib/transfers.svelte';
import { installBackend, details, incoming, job } from './mockBackend';

async function check(what: string) {
  const result = await axe.run(document.body, { rules: { 'color-contrast': { enabled: false } } });
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${what}: ${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
}

beforeEach(() => {
  setLang('nb');
  localStorage.clear();
  resetTransfers();
  installBackend({
    jobs: [
      job({ id: 'a', phase: 'uploading' }), job({ id: 'b', phase: 'failed', error: { code: 'NETWORK', message: 'x', detail: 'd', traceId: 't' } }),
      job({ id: 'c', phase: 'published', receipt: details({ fileTransferId: 'f',
        recipients: [{ recipient: '0192:310000027', currentRecipientFileTransferStatusCode: 'Published',
          currentRecipientFileTransferStatusText: null, currentRecipientFileTransferStatusChanged: null }],
        fileTransferStatusHistory: [{ fileTransferStatus: 'Published', fileTransferStatusText: null, fileTransferStatusChanged: null }] }) }),
    ],
    inbox: [incoming(), incoming({ id: 'x', phase: 'confirmed', savedPath: '/tmp/x', expiresSoon: true, overview: { fileTransferId: 'y' } })],
  });
});
afterEach(() => { cleanup(); clearMocks(); });

describe('accessibility (axe-core)', () => {
  it('the check itself finds a real violation (guards against a silent pass)', async () => {
    document.body.innerHTML = '<main><button type="button"></button><input type="text"></main>';
    const result = await axe.run(document.body, { rules: { 'color-contrast': { enabled: false } } });
    expect(result.violations.map((v) => v.id)).toEqual(expect.arrayContaining(['button-name', 'label']));
    document.body.innerHTML = '';
  });

  for (const lang of ['nb', 'nn', 'en'] as const) {
    it(`has no serious or critical violations on any page or wizard step (${lang})`, { timeout: 30_000 }, async () => {
      setLang(lang);
      render(App);
      await screen.findByTestId('env-badge');
      addFiles([{ handle: 'h-1', name: 'a.pdf', size: 1000 }]);
      for (const p of ['send', 'inbox', 'sent', 'settings']) {
        await fireEvent.click(screen.getByTestId(`nav-${p}`));
        await waitFor(() => expect(document.querySelector('h1')).toBeTruthy());
        await new Promise((r) => setTimeout(r, 20));
        await check(p);
      }
      // The dialogs.
      await fireEvent.click(screen.getByTestId('nav-sent'));
      await fireEvent.click((await screen.findAllByTestId('receipt'))[0]);
      await check('receipt dialog');
      await fireEvent.click(screen.getByTestId('dialog-close'));
      await fireEvent.click(screen.getByTestId('nav-inbox'));
      await fireEvent.click((await screen.findAllByTestId('inbox-details'))[0]);
      await check('inbox details dialog');
      await fireEvent.click(screen.getByTestId('dialog-close'));
      // Each wizard step, and the test result.
      await fireEvent.click(screen.getByTestId('nav-setup'));
      for (const s of ['environment', 'role', 'prerequisites', 'organisation', 'client', 'resource', 'accessList', 'systemUser', 'test', 'done']) {
        await fireEvent.click(screen.getByTestId(`wizard-step-${s}`));
        await new Promise((r) => setTimeout(r, 20));
        if (s === 'client') {
          // The folded parts too (the advanced API key, the Altinn 2 history).
          document.querySelectorAll('details').forEach((d) => (d.open = true));
        }
        if (s === 'systemUser') {
          await fireEvent.click(screen.getByTestId('request-system-user'));
          await screen.findByTestId('approval');
        }
        if (s === 'done') {
          await fireEvent.input(screen.getByTestId('services-change'), { target: { value: 'budbringer-ovelse, ny' } });
          await fireEvent.click(screen.getByTestId('services-change-save'));
          await screen.findByTestId('change-request');
          await fireEvent.click(screen.getByTestId('rotation-start'));
          await screen.findByTestId('rotation-finish');
        }
        if (s === 'test') {
          await fireEvent.click(screen.getByTestId('run-test'));
          await screen.findByTestId('test-report');
        }
        await check(`wizard ${s}`);
      }
    });
  }
});
