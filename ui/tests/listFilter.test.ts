import { describe, expect, it } from 'vitest';
import { filterRows } from '../src/lib/listFilter';

type Row = { name: string; org: string; ref: string; status: string; date: string };
const rows: Row[] = [
  { name: 'budsjett.pdf', org: 'Nordre Follo kommune (921 530 875)', ref: 'sak-2026/42', status: 'Har hentet filen', date: '26.11.2026' },
  { name: 'vedtak.docx', org: 'Øvingsetaten Mottaker (310 000 027)', ref: 'sak-2026/7', status: 'Ikke hentet ennå', date: '1.12.2026' },
];
const texts = (r: Row) => [r.name, r.org, r.ref, r.status, r.date];

describe('list search', () => {
  it('finds by name, organisation (with or without spaces), reference, status and date, every word', () => {
    expect(filterRows(rows, '', texts)).toHaveLength(2);
    expect(filterRows(rows, 'BUDSJETT', texts).map((r) => r.name)).toEqual(['budsjett.pdf']);
    expect(filterRows(rows, '310000027', texts).map((r) => r.name)).toEqual(['vedtak.docx']);
    expect(filterRows(rows, '921 530', texts).map((r) => r.name)).toEqual(['budsjett.pdf']);
    expect(filterRows(rows, 'øvingsetaten', texts).map((r) => r.name)).toEqual(['vedtak.docx']);
    expect(filterRows(rows, 'sak-2026/4', texts).map((r) => r.name)).toEqual(['budsjett.pdf']);
    expect(filterRows(rows, 'hentet filen', texts).map((r) => r.name)).toEqual(['budsjett.pdf']);
    expect(filterRows(rows, '1.12.2026', texts).map((r) => r.name)).toEqual(['vedtak.docx']);
    expect(filterRows(rows, 'kommune vedtak', texts)).toHaveLength(0);
  });

  it('filters 10,000 rows', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => ({ ...rows[i % 2], name: `fil ${i}.pdf` }));
    expect(filterRows(many, 'fil 9999', texts).map((r) => r.name)).toEqual(['fil 9999.pdf']);
    expect(filterRows(many, 'øvingsetaten', texts)).toHaveLength(5_000);
  });
});

describe('the search texts are made once per row and key', () => {
  it('asks for a row’s texts once per key, and again when the key changes', () => {
    const rows = [{ name: 'brev 1.pdf' }, { name: 'brev 2.pdf' }];
    let asked = 0;
    let label = 'Nordre Follo';
    const texts = (r: { name: string }) => {
      asked++;
      return [r.name, label];
    };
    expect(filterRows(rows, 'brev 2', texts, 'nb|0')).toEqual([rows[1]]);
    expect(filterRows(rows, 'brev', texts, 'nb|0')).toHaveLength(2);
    expect(asked).toBe(2);
    // A name arrived: the key changes and the rows are found by it.
    label = 'Asker kommune';
    expect(filterRows(rows, 'asker', texts, 'nb|0')).toHaveLength(0);
    expect(filterRows(rows, 'asker', texts, 'nb|1')).toHaveLength(2);
    expect(asked).toBe(4);
  });
});
