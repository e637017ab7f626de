// What the recipient field searches for, and how a suggestion reads.
import type { OrgInfo } from './generated/wire';
import { formatOrg } from './orgnr';

/**
 * True when the text is worth a register search: a name (two letters or
 * more), or the start of a number (three digits or more, not yet nine).
 * Several recipients separated by commas are numbers, not a search.
 */
export function isQuery(text: string): boolean {
  const q = text.trim();
  if (q.length < 2 || /[,;\n]/.test(q)) return false;
  if (/\p{L}/u.test(q)) return true;
  const digits = q.replace(/\s+/g, '');
  return /^\d{3,8}$/.test(digits);
}

/** "Nordre Follo kommune (921 530 875), Kommune, Nordre Follo": what a screen reader hears. */
export function suggestionLabel(o: OrgInfo): string {
  const parts = [o.name ? `${o.name} (${formatOrg(o.orgNumber)})` : formatOrg(o.orgNumber)];
  if (o.form) parts.push(o.form.description);
  if (o.municipality) parts.push(o.municipality);
  return parts.join(', ');
}
