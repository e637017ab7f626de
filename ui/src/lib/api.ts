// The only place the UI talks to the Rust side. Each function mirrors one
// #[tauri::command] in src-tauri/commands/.
import { invoke } from '@tauri-apps/api/core';

export type Environment = 'sandbox' | 'tt02' | 'production';
export const ENVIRONMENTS: Environment[] = ['sandbox', 'tt02', 'production'];

export interface Settings {
  language: 'nb' | 'en';
  environment: Environment;
  pollIntervalSecs: number;
}

/** The one error shape every command returns. */
export interface AppError {
  code: string;
  message: string;
  detail?: string;
  traceId?: string;
}

export interface AppInfo {
  version: string;
  settings: Settings;
  secretStore: string;
  secretStoreProblem: AppError | null;
  sandboxUrl: string | null;
}

export function isAppError(e: unknown): e is AppError {
  return typeof e === 'object' && e !== null && 'code' in e && 'message' in e;
}

/** Turns anything thrown by invoke into an AppError. */
export function asAppError(e: unknown): AppError {
  if (isAppError(e)) return e;
  return { code: 'INTERNAL', message: String(e) };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw asAppError(e);
  }
}

export const api = {
  appInfo: () => call<AppInfo>('app_info'),
  setLanguage: (language: 'nb' | 'en') => call<Settings>('set_language', { language }),
  setEnvironment: (environment: Environment) => call<Settings>('set_environment', { environment }),
  setPollInterval: (seconds: number) => call<Settings>('set_poll_interval', { seconds }),
};
