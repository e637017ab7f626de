// Names for numbers (docs/ALTINN.md#names-for-numbers): organisation names
// from Enhetsregisteret and service titles from Altinn's Resource Registry.
// A page asks for what it shows; the asks of one moment go to Rust as one
// call (which keeps the answers in the local store), and the page updates
// when the answers come. A name that cannot be found shows as the number.
import { api, type OrgInfo, type ServiceInfo } from './api';
import { lang } from './i18n.svelte';
import { formatOrg } from './orgnr';

const known = $state<{ orgs: Record<string, OrgInfo>; services: Record<string, ServiceInfo> }>({ orgs: {}, services: {} });
const asked = { orgs: new Set<string>(), services: new Set<string>() };
const waiting = { orgs: new Set<string>(), services: new Set<string>() };
let scheduled = false;
/** Grows whenever an answer arrives: a list's search texts made before it are stale. */
const answers = $state({ n: 0 });

/** How many answers have arrived (a cache key for texts that contain names). */
export function namesVersion(): number {
  return answers.n;
}

/** `0192:921530875` or `urn:altinn:organization:identifier-no:921530875` → `921530875`. */
export function orgDigits(s: string | null | undefined): string {
  return (s ?? '').replace(/^urn:altinn:organization:identifier-no:/, '').replace(/^0192:/, '').replace(/\s+/g, '');
}

function schedule() {
  if (scheduled) return;
  scheduled = true;
  // After the render that asked: state changes never happen during one.
  setTimeout(flush, 0);
}

async function flush() {
  scheduled = false;
  const orgs = [...waiting.orgs];
  const services = [...waiting.services];
  waiting.orgs.clear();
  waiting.services.clear();
  if (orgs.length > 0) {
    try {
      for (const info of await api.namesOrgs(orgs)) known.orgs[info.orgNumber] = info;
      answers.n++;
    } catch {
      // Names are a convenience: the numbers stay.
    }
  }
  if (services.length > 0) {
    try {
      for (const info of await api.namesServices(services)) known.services[info.resourceId] = info;
      answers.n++;
    } catch {
      // The IDs stay.
    }
  }
}

/** What the register says about an organisation, once it has answered. */
export function orgInfo(raw: string | null | undefined): OrgInfo | undefined {
  const d = orgDigits(raw);
  if (!d) return undefined;
  if (!asked.orgs.has(d)) {
    asked.orgs.add(d);
    waiting.orgs.add(d);
    schedule();
  }
  return known.orgs[d];
}

/** "Nordre Follo kommune (921 530 875)", or the number alone. */
export function orgLabel(raw: string | null | undefined): string {
  const d = orgDigits(raw);
  if (!d) return '';
  const info = orgInfo(d);
  return info?.name ? `${info.name} (${formatOrg(d)})` : formatOrg(d);
}

/** What the Resource Registry says about a Broker resource, once it has answered. */
export function serviceInfo(id: string | null | undefined): ServiceInfo | undefined {
  if (!id) return undefined;
  if (!asked.services.has(id)) {
    asked.services.add(id);
    waiting.services.add(id);
    schedule();
  }
  return known.services[id];
}

/** The service's title in the UI's language (else nb, nn, en), or its ID. */
export function serviceTitle(id: string | null | undefined): string {
  if (!id) return '';
  const s = serviceInfo(id);
  if (!s) return id;
  const titles = s.title as Record<string, string | undefined>;
  for (const l of [lang(), 'nb', 'nn', 'en']) {
    const v = titles[l]?.trim();
    if (v) return v;
  }
  return id;
}

/** For tests: forget everything. */
export function resetNames() {
  known.orgs = {};
  known.services = {};
  asked.orgs.clear();
  asked.services.clear();
  waiting.orgs.clear();
  waiting.services.clear();
}
