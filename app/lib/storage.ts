/**
 * localStorage / sessionStorage access that never throws: private windows and locked-down kiosk
 * browsers (common on conference loaner laptops) refuse storage, and the lab must still work.
 */
type Area = 'local' | 'session';

function area(which: Area): Storage | null {
  try {
    return which === 'local' ? window.localStorage : window.sessionStorage;
  } catch {
    return null;
  }
}

export function readJson<T>(key: string, fallback: T, which: Area = 'local'): T {
  const raw = area(which)?.getItem(key);
  if (raw == null) return fallback;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return fallback;
  }
}

export function writeJson(key: string, value: unknown, which: Area = 'local'): void {
  try {
    area(which)?.setItem(key, JSON.stringify(value));
  } catch {
    // Quota exceeded or storage disabled: the preference is simply not remembered.
  }
}
