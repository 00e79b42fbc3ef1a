'use client';
/**
 * The tools check for the attendee's sandbox (GET /api/preflight): run once when the terminal first
 * connects, and again on demand. Shared by the Tools panel and the code blocks, which warn before a
 * Run of a command whose tool is missing.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { PreflightReport, ToolStatus } from '@/common/preflight';
import { api } from '@/app/lib/api';

export interface Preflight {
  report: PreflightReport | null;
  error: string | null;
  busy: boolean;
  check: () => Promise<void>;
  /** Missing tools by name. */
  missing: ReadonlyMap<string, ToolStatus>;
}

export function usePreflight(labId: string, connected: boolean): Preflight {
  const [report, setReport] = useState<PreflightReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const checkedOnce = useRef(false);

  const check = useCallback(async () => {
    setBusy(true);
    setError(null);
    try {
      setReport(await api.preflight(labId));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }, [labId]);

  useEffect(() => {
    if (connected && !checkedOnce.current) {
      checkedOnce.current = true;
      void check();
    }
  }, [connected, check]);

  const missing = useMemo(() => new Map((report?.tools ?? []).filter((t) => !t.found).map((t) => [t.name, t])), [report]);
  return { report, error, busy, check, missing };
}
