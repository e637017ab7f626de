// The data-origin label ("Data fra Altinn") beside every piece of Altinn data:
// Altinn's statuses in the send queue and the system user and its approval in
// the wizard (the inbox, receipts and connection test have their own tests).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { render, screen, fireEvent, waitFor, within, cleanup } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import JobRow from '../src/lib/JobRow.svelte';
import Setup from '../src/pages/Setup.svelte';
import { setLang } from '../src/lib/i18n.svelte';
import type { SendPhase } from '../src/lib/api';
import { installBackend, job, profile, settings } from './mockBackend';

beforeEach(() => {
  setLang('nb');
  localStorage.clear();
});
afterEach(() => { cleanup(); clearMocks(); });

describe('the data-origin label', () => {
  it('marks the send queue’s Altinn statuses, and only those', () => {
    const phases: [SendPhase, boolean][] = [
      ['queued', false], ['preparing', false], ['uploading', false], ['paused', false],
      ['processing', true], ['published', true],
    ];
    for (const [phase, fromAltinn] of phases) {
      const { container, unmount } = render(JobRow, { job: job({ phase }), onerror: () => {} });
      const label = within(container).queryByTestId('altinn-label');
      expect(!!label, `phase ${phase}`).toBe(fromAltinn);
      if (label) {
        expect(label.textContent).toContain('Data fra Altinn');
        // Accessible text says where the data comes from and that Altinn did not make the app.
        expect(label.textContent).toContain('Budbringer er ikke laget av Altinn');
      }
      unmount();
    }
  });

  it('marks the system user, the approval link and its status in the wizard', async () => {
    setLang('en');
    installBackend({ profile: profile({ systemUser: { enabled: true, systemId: '310000019_budbringer', requestId: null, externalRef: null,
      requestStatus: null, confirmUrl: null, systemUserId: null, requestTimedOut: false, rights: [], change: null } }) });
    localStorage.setItem('budbringer.wizardStep', 'systemUser');
    render(Setup, { settings: settings({ language: 'en', environment: 'tt02' }), sandboxUrl: null, onchange: () => {}, ongo: () => {} });
    const step = await screen.findByTestId('wizard-systemUser');
    // The system is registered in Altinn: its id is labelled; nothing requested yet, so no status label.
    await within(step).findByTestId('altinn-label');
    expect(within(step).getAllByTestId('altinn-label')).toHaveLength(1);
    expect(within(step).getByTestId('altinn-label').textContent).toContain('Data from Altinn');

    await fireEvent.click(within(step).getByRole('button', { name: /request/i }));
    const approval = await screen.findByTestId('approval');
    expect(within(approval).getByTestId('altinn-label')).toBeTruthy();
    await waitFor(() => expect(within(screen.getByTestId('system-user-state')).getByTestId('altinn-label')).toBeTruthy());
  });
});
