// Broker's propertyList on the Send page: Altinn's limits checked while typing, sent as a map.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { render, screen, fireEvent, waitFor, cleanup } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import Send from '../src/pages/Send.svelte';
import { setLang } from '../src/lib/i18n.svelte';
import { addFiles, resetTransfers } from '../src/lib/transfers.svelte';
import { checkProperties, toPropertyList, MAX_PROPERTIES, MAX_PROPERTY_KEY_LEN, MAX_PROPERTY_VALUE_LEN } from '../src/lib/properties';
import { installBackend, pickedFiles, settings as makeSettings, type Backend } from './mockBackend';

let b: Backend;

beforeEach(() => { setLang('nb'); localStorage.clear(); resetTransfers(); b = installBackend(); });
afterEach(() => { cleanup(); clearMocks(); });

describe('checkProperties', () => {
  it('takes what Altinn takes and names the first problem', () => {
    expect(checkProperties([])).toBeNull();
    expect(checkProperties([{ key: '', value: '' }])).toBeNull();
    expect(checkProperties([{ key: 'sak', value: 'x'.repeat(MAX_PROPERTY_VALUE_LEN) }])).toBeNull();
    expect(checkProperties([{ key: 'k'.repeat(MAX_PROPERTY_KEY_LEN), value: '' }])).toBeNull();
    expect(checkProperties([{ key: 'sak', value: 'x'.repeat(MAX_PROPERTY_VALUE_LEN + 1) }])).toEqual({ kind: 'valueTooLong', key: 'sak' });
    // UTF-16 units, as .NET counts: an emoji is two.
    expect(checkProperties([{ key: 'sak', value: '😀'.repeat(MAX_PROPERTY_VALUE_LEN / 2 + 1) }])?.kind).toBe('valueTooLong');
    expect(checkProperties([{ key: 'k'.repeat(MAX_PROPERTY_KEY_LEN + 1), value: '' }])).toEqual({ kind: 'keyTooLong' });
    expect(checkProperties([{ key: ' ', value: 'v' }])).toEqual({ kind: 'keyMissing' });
    expect(checkProperties([{ key: 'a', value: '1' }, { key: ' a ', value: '2' }])).toEqual({ kind: 'duplicate', key: 'a' });
    const many = Array.from({ length: MAX_PROPERTIES + 1 }, (_, i) => ({ key: `k${i}`, value: '' }));
    expect(checkProperties(many)).toEqual({ kind: 'tooMany' });
    expect(checkProperties(many.slice(1))).toBeNull();
    expect(toPropertyList([{ key: ' sak ', value: '2026/17' }, { key: '', value: '' }])).toEqual({ sak: '2026/17' });
  });
});

describe('Send page properties', () => {
  it('sends the properties and refuses ones Altinn would refuse, saying why', async () => {
    render(Send, { settings: makeSettings(), ongo: () => {} });
    await waitFor(() => expect((screen.getByTestId('resource') as HTMLSelectElement).value).toBe('budbringer-ovelse'));
    addFiles(pickedFiles(b, ['/data/a.pdf']));
    await fireEvent.input(screen.getByTestId('recipient'), { target: { value: '310000027' } });
    await fireEvent.click(screen.getByTestId('add-property'));
    await fireEvent.click(screen.getByTestId('add-property'));
    const keys = screen.getAllByTestId('property-key');
    const values = screen.getAllByTestId('property-value');
    await fireEvent.input(keys[0], { target: { value: 'saksnummer' } });
    await fireEvent.input(values[0], { target: { value: '2026/17' } });
    await fireEvent.input(keys[1], { target: { value: 'saksnummer' } });
    await fireEvent.input(values[1], { target: { value: 'x' } });
    expect(screen.getByTestId('property-problem').textContent).toContain('«saksnummer» er brukt to ganger');
    await fireEvent.click(screen.getByTestId('send'));
    expect(b.calls.some((c) => c.cmd === 'send_files')).toBe(false);
    await fireEvent.click(screen.getAllByTestId('remove-property')[1]);
    expect(screen.queryByTestId('property-problem')).toBeNull();
    await fireEvent.click(screen.getByTestId('send'));
    await waitFor(() => expect(b.calls.some((c) => c.cmd === 'send_files')).toBe(true));
    expect(b.calls.find((c) => c.cmd === 'send_files')!.args.properties).toEqual({ saksnummer: '2026/17' });
  });
});
