'use client';
/** The instructor token, kept in sessionStorage: gone when the tab closes, never in a URL. */
import { useCallback, useEffect, useState } from 'react';
import { readJson, writeJson } from '@/app/lib/storage';

const KEY = 'labdeck:instructor-token';

export function useToken(): [string | null, (token: string | null) => void] {
  const [token, setTokenState] = useState<string | null>(null);
  useEffect(() => {
    const stored = readJson<unknown>(KEY, null, 'session');
    if (typeof stored === 'string' && stored) setTokenState(stored);
  }, []);
  const setToken = useCallback((t: string | null) => {
    setTokenState(t);
    writeJson(KEY, t, 'session');
  }, []);
  return [token, setToken];
}
