'use client';
/**
 * ←/→ move between steps, except while typing: in the terminal (the shell needs its arrow keys),
 * in form fields, or on the split divider (which uses them to resize).
 */
import { useEffect } from 'react';

export function useArrowKeys(onMove: (delta: -1 | 1) => void): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
      if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
      if (isTyping(e.target)) return;
      e.preventDefault();
      onMove(e.key === 'ArrowLeft' ? -1 : 1);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onMove]);
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof Element)) return false;
  if (target.closest('.xterm, [role="separator"], [contenteditable="true"]')) return true;
  return ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}
