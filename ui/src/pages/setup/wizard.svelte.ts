// The state the wizard's steps share: the profile of the chosen environment,
// the last error and status line, and the busy flag. Setup.svelte owns one
// Wizard and hands it to each step (ui/src/pages/setup/*.svelte), so that a
// step can save and the frame shows the result in one place.
import { api, openUrl, type AppError, type Environment, type ProfileEdit, type ProfileView, type Role } from '../../lib/api';
import { t } from '../../lib/i18n.svelte';

/** The steps in the order the real services demand (issue 12). ui/tests/advice.test.ts reads this list. */
export const STEPS = ['environment', 'role', 'prerequisites', 'organisation', 'client', 'resource', 'accessList', 'systemUser', 'test', 'done'] as const;
export type Step = (typeof STEPS)[number];

/** Broker's scopes by role (docs/ALTINN.md#the-client-and-its-scopes); no role chosen asks for both. */
export function brokerScopes(role: Role | null | undefined): string[] {
  if (role === 'send') return ['altinn:broker.write'];
  if (role === 'receive') return ['altinn:broker.read'];
  return ['altinn:broker.write', 'altinn:broker.read'];
}

/** Registering the system and asking for a system user take these (docs/ALTINN.md#the-client-and-its-scopes). */
export const SYSTEM_SCOPES = [
  'altinn:authentication/systemregister.write',
  'altinn:authentication/systemuser.request.write',
  'altinn:authentication/systemuser.request.read',
];

export class Wizard {
  profile = $state<ProfileView | null>(null);
  error = $state<AppError | null>(null);
  status = $state('');
  busy = $state(false);
  /** The practice sandbox's address: it starts on first need, so the wizard asks for it in `load`. */
  sandboxUrl = $state<string | null>(null);

  constructor(
    private readonly getEnv: () => Environment,
    sandboxUrl: string | null,
  ) {
    this.sandboxUrl = sandboxUrl;
  }

  get env(): Environment {
    return this.getEnv();
  }

  get role(): Role | null {
    return this.profile?.onboarding.role ?? null;
  }

  clear() {
    this.error = null;
    this.status = '';
  }

  async load() {
    this.error = null;
    try {
      if (this.env === 'sandbox' && !this.sandboxUrl) this.sandboxUrl = await api.practiceSandboxUrl();
      this.profile = await api.getProfile(this.env);
    } catch (e) {
      this.error = e as AppError;
    }
  }

  /** Runs one action: busy while it runs, its error shown, `message` on success. */
  async run<T>(action: () => Promise<T>, done?: (v: T) => void, message?: string): Promise<boolean> {
    this.error = null;
    this.status = '';
    this.busy = true;
    try {
      const v = await action();
      done?.(v);
      if (message) this.status = message;
      return true;
    } catch (e) {
      this.error = e as AppError;
      return false;
    } finally {
      this.busy = false;
    }
  }

  save(edit: ProfileEdit, message = t('wizard.savedStep')) {
    return this.run(() => api.saveProfile(this.env, edit), (p) => (this.profile = p), message);
  }

  open(url: string) {
    return this.run(() => openUrl(url));
  }
}
