// Broker's propertyList: the limits Rust checks again when sending
// (core/src/transfers/validate.rs, docs/ALTINN.md#limits), checked here while
// the user types. Lengths are UTF-16 code units, as .NET counts them, which
// is what a JavaScript string's length is.
export const MAX_PROPERTIES = 10;
export const MAX_PROPERTY_KEY_LEN = 50;
export const MAX_PROPERTY_VALUE_LEN = 3000;

export interface PropertyRow { key: string; value: string }

export type PropertyProblem =
  | { kind: 'tooMany' }
  | { kind: 'keyMissing' }
  | { kind: 'keyTooLong' }
  | { kind: 'valueTooLong'; key: string }
  | { kind: 'duplicate'; key: string };

/** Rows left wholly empty are ignored. */
function used(rows: PropertyRow[]): PropertyRow[] {
  return rows.filter((r) => r.key.trim() !== '' || r.value !== '');
}

/** The first problem with the rows, or null when Altinn will take them. */
export function checkProperties(rows: PropertyRow[]): PropertyProblem | null {
  const list = used(rows);
  if (list.length > MAX_PROPERTIES) return { kind: 'tooMany' };
  const seen = new Set<string>();
  for (const r of list) {
    const key = r.key.trim();
    if (key === '') return { kind: 'keyMissing' };
    if (key.length > MAX_PROPERTY_KEY_LEN) return { kind: 'keyTooLong' };
    if (r.value.length > MAX_PROPERTY_VALUE_LEN) return { kind: 'valueTooLong', key };
    if (seen.has(key)) return { kind: 'duplicate', key };
    seen.add(key);
  }
  return null;
}

/** The rows as Broker's propertyList. */
export function toPropertyList(rows: PropertyRow[]): Record<string, string> {
  return Object.fromEntries(used(rows).map((r) => [r.key.trim(), r.value]));
}
