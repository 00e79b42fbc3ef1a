'use client';
/** Which blocks of a lab this browser has run, remembered across reloads (localStorage, per lab). */
import { useCallback, useEffect, useState } from 'react';
import { readJson, writeJson } from '@/app/lib/storage';

export function useRanBlocks(labId: string): { ran: ReadonlySet<string>; markRan: (blockId: string) => void } {
  const key = `labdeck:ran:${labId}`;
  const [ran, setRan] = useState<ReadonlySet<string>>(() => new Set());

  // Read after mount: the server render has no localStorage, and hydration must match it.
  useEffect(() => {
    const stored = readJson<unknown>(key, []);
    setRan(new Set(Array.isArray(stored) ? stored.filter((x): x is string => typeof x === 'string') : []));
  }, [key]);

  const markRan = useCallback(
    (blockId: string) => {
      setRan((prev) => {
        if (prev.has(blockId)) return prev;
        const next = new Set(prev).add(blockId);
        writeJson(key, [...next]);
        return next;
      });
    },
    [key],
  );
  return { ran, markRan };
}
