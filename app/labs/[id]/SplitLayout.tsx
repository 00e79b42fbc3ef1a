'use client';
/**
 * Two panes with a draggable divider (mouse, touch, or arrow keys when focused), stacked on
 * narrow screens by CSS. The split is remembered per browser.
 */
import { useEffect, useRef, useState, type CSSProperties, type KeyboardEvent, type ReactNode } from 'react';
import { readJson, writeJson } from '@/app/lib/storage';

const KEY = 'labdeck:split';
const MIN = 0.2;
const MAX = 0.8;

export function SplitLayout({ left, right }: { left: ReactNode; right: ReactNode }) {
  const [ratio, setRatio] = useState(0.44);
  const rootRef = useRef<HTMLDivElement>(null);
  const [dragging, setDragging] = useState(false);

  useEffect(() => {
    const stored = readJson<unknown>(KEY, null);
    if (typeof stored === 'number' && Number.isFinite(stored)) setRatio(clamp(stored));
  }, []);

  const commit = (r: number) => {
    const next = clamp(r);
    setRatio(next);
    writeJson(KEY, next);
  };

  const onPointerDown = (e: React.PointerEvent<HTMLDivElement>) => {
    const root = rootRef.current;
    if (!root) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    setDragging(true);
    const rect = root.getBoundingClientRect();
    const move = (ev: PointerEvent) => commit((ev.clientX - rect.left) / rect.width);
    const up = () => {
      setDragging(false);
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      window.removeEventListener('pointercancel', up);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
    window.addEventListener('pointercancel', up);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'ArrowLeft') commit(ratio - 0.02);
    else if (e.key === 'ArrowRight') commit(ratio + 0.02);
    else return;
    e.preventDefault();
  };

  const style = { '--split': `minmax(0, ${ratio}fr) 10px minmax(0, ${1 - ratio}fr)` } as CSSProperties;
  return (
    <div className={`split${dragging ? ' is-dragging' : ''}`} ref={rootRef} style={style}>
      <div className="split-pane">{left}</div>
      <div
        className="split-handle"
        role="separator"
        aria-orientation="vertical"
        aria-label="Resize the slides and terminal"
        aria-valuemin={MIN * 100}
        aria-valuemax={MAX * 100}
        aria-valuenow={Math.round(ratio * 100)}
        tabIndex={0}
        onPointerDown={onPointerDown}
        onKeyDown={onKeyDown}
      />
      <div className="split-pane">{right}</div>
    </div>
  );
}

function clamp(r: number): number {
  return Math.min(MAX, Math.max(MIN, r));
}
