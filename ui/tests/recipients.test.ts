import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { render, screen, fireEvent, waitFor, cleanup } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import RecipientInput from '../src/lib/RecipientInput.svelte';
import { setLang } from '../src/lib/i18n.svelte';
import { installBackend, type Backend } from './mockBackend';
import { isQuery, suggestionLabel } from '../src/lib/recipients';

describe('recipient search', () => {
  it('searches names and the start of numbers, not lists or whole numbers', () => {
    expect(isQuery('Nordre')).toBe(true);
    expect(isQuery('øv')).toBe(true);
    expect(isQuery('921')).toBe(true);
    expect(isQuery('921 530')).toBe(true);
    expect(isQuery('9')).toBe(false);
    expect(isQuery('92')).toBe(false);
    expect(isQuery('921530875')).toBe(false);
    expect(isQuery('921530875, 310000027')).toBe(false);
  });

  it('reads a suggestion with its form and municipality', () => {
    const o = {
      orgNumber: '921530875', status: 'found', registeredName: 'NORDRE FOLLO KOMMUNE', name: 'Nordre Follo kommune',
      form: { code: 'KOMM', description: 'Kommune' }, municipality: 'NORDRE FOLLO', parent: null, subUnit: false,
    } as unknown as Parameters<typeof suggestionLabel>[0];
    expect(suggestionLabel(o)).toBe('Nordre Follo kommune (921 530 875), Kommune, NORDRE FOLLO');
    expect(suggestionLabel({ ...o, name: null, form: null, municipality: null })).toBe('921 530 875');
  });
});

describe('the recipient combobox', () => {
  let b: Backend;
  beforeEach(() => { setLang('nb'); b = installBackend(); });
  afterEach(() => { cleanup(); clearMocks(); });

  it('suggests organisations by name and is operated by keyboard', async () => {
    const picked: string[] = [];
    render(RecipientInput, { value: '', describedby: 'h', invalid: false, onpick: (o: string) => picked.push(o), onenter: () => {} });
    const input = screen.getByTestId('recipient') as HTMLInputElement;
    expect(input.getAttribute('role')).toBe('combobox');
    await fireEvent.input(input, { target: { value: 'øvings' } });
    await waitFor(() => expect(screen.getAllByTestId('recipient-suggestion')).toHaveLength(1));
    expect(input.getAttribute('aria-expanded')).toBe('true');
    const option = screen.getByTestId('recipient-suggestion');
    expect(option.textContent).toContain('Øvingsetaten Avsender');
    expect(option.textContent).toContain('310 000 019 · Organisasjonsledd · Oslo');
    await fireEvent.keyDown(input, { key: 'ArrowDown' });
    expect(input.getAttribute('aria-activedescendant')).toBe(option.id);
    expect(option.getAttribute('aria-selected')).toBe('true');
    await fireEvent.keyDown(input, { key: 'Enter' });
    expect(picked).toEqual(['310000019']);
    expect(input.getAttribute('aria-expanded')).toBe('false');
    expect(b.calls.filter((c) => c.cmd === 'names_search')).toHaveLength(1);
  });

  it('offline, no list opens and Enter takes the typed number', async () => {
    let entered = 0;
    b.fail.names_search = { code: 'NETWORK', message: 'offline' };
    render(RecipientInput, { value: '', describedby: 'h', invalid: false, onpick: () => {}, onenter: () => { entered += 1; } });
    const input = screen.getByTestId('recipient') as HTMLInputElement;
    await fireEvent.input(input, { target: { value: '310' } });
    await waitFor(() => expect(b.calls.some((c) => c.cmd === 'names_search')).toBe(true));
    await fireEvent.keyDown(input, { key: 'Escape' });
    await fireEvent.keyDown(input, { key: 'Enter' });
    expect(entered).toBe(1);
    expect(input.getAttribute('aria-expanded')).toBe('false');
  });
});
