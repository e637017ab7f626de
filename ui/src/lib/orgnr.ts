// Norwegian organisation numbers: nine digits, the last a mod-11 check digit
// (weights 3 2 7 6 5 4 3 2). The back end checks again when sending; this
// copy gives live feedback while the user types.

export type OrgCheck = 'ok' | 'format' | 'checkDigit';

/** Strips spaces and the `0192:` prefix people copy from Altinn. */
export function normaliseOrg(s: string): string {
  return s.trim().replace(/^0192:/, '').replace(/\s+/g, '');
}

export function checkOrg(input: string): OrgCheck {
  const s = normaliseOrg(input);
  if (!/^\d{9}$/.test(s)) return 'format';
  const w = [3, 2, 7, 6, 5, 4, 3, 2];
  const sum = w.reduce((acc, wi, i) => acc + wi * Number(s[i]), 0);
  const rest = sum % 11;
  const check = rest === 0 ? 0 : 11 - rest;
  if (check === 10 || check !== Number(s[8])) return 'checkDigit';
  return 'ok';
}

/** Splits a field of recipients on commas, semicolons, spaces between numbers and new lines. */
export function splitRecipients(text: string): string[] {
  return text
    .split(/[,;\n]+/)
    .map((p) => normaliseOrg(p))
    .filter((p) => p.length > 0);
}

/** Shows 123456789 as "123 456 789". */
export function formatOrg(s: string): string {
  const d = normaliseOrg(s);
  return /^\d{9}$/.test(d) ? `${d.slice(0, 3)} ${d.slice(3, 6)} ${d.slice(6)}` : s;
}
