'use client';
/** One A-/A+ setting for slides and terminal together, remembered per browser (the projector laptop keeps its size). */
import { useCallback, useEffect, useState } from 'react';
import { readJson, writeJson } from '@/app/lib/storage';

const KEY = 'labdeck:font-scale';
const MIN = 0.8;
const MAX = 2;
const STEP = 0.1;

export function useFontScale(): { scale: number; bigger: () => void; smaller: () => void; canGrow: boolean; canShrink: boolean } {
  const [scale, setScale] = useState(1);

  useEffect(() => {
    const stored = readJson<unknown>(KEY, 1);
    if (typeof stored === 'number' && Number.isFinite(stored)) setScale(clamp(stored));
  }, []);

  const change = useCallback((delta: number) => {
    setScale((s) => {
      const next = clamp(Math.round((s + delta) * 10) / 10);
      writeJson(KEY, next);
      return next;
    });
  }, []);

  return {
    scale,
    bigger: () => change(STEP),
    smaller: () => change(-STEP),
    canGrow: scale < MAX - 1e-9,
    canShrink: scale > MIN + 1e-9,
  };
}

function clamp(x: number): number {
  return Math.min(MAX, Math.max(MIN, x));
}
