import { describe, expect, it } from 'vitest';
import { checkOrg, formatOrg, normaliseOrg, splitRecipients } from '../src/lib/orgnr';

describe('organisation numbers (mod 11)', () => {
  it('accepts valid numbers', () => {
    for (const n of ['310000019', '310000027', '991825827', '986252932', '974760673']) expect(checkOrg(n), n).toBe('ok');
  });
  it('rejects a wrong check digit', () => {
    for (const n of ['310000028', '991825828', '123456789']) expect(checkOrg(n), n).toBe('checkDigit');
  });
  it('rejects numbers whose check digit would be 10', () => {
    expect(checkOrg('000200000')).toBe('checkDigit'); // 6·2 = 12 ≡ 1 (mod 11) → check digit 10
  });
  it('wants exactly nine digits', () => {
    for (const n of ['31000001', '3100000190', 'abcdefghi', '']) expect(checkOrg(n), n).toBe('format');
  });
  it('normalises spaces and the 0192: prefix', () => {
    expect(normaliseOrg(' 310 000 019 ')).toBe('310000019');
    expect(normaliseOrg('0192:310000019')).toBe('310000019');
    expect(checkOrg('310 000 019')).toBe('ok');
    expect(splitRecipients('310000019, 310000027;\n991825827')).toEqual(['310000019', '310000027', '991825827']);
    expect(formatOrg('310000019')).toBe('310 000 019');
  });
});
