'use client';
/** The attendee page: loads the lab, wires steps, terminal connection and preferences together. */
import Link from 'next/link';
import { useCallback, useEffect, useMemo, useState, type CSSProperties } from 'react';
import type { CodeBlock, Lab } from '@/common/lab-model';
import { api, ApiError } from '@/app/lib/api';
import type { RunControls } from './BlockView';
import { FollowToggle } from './FollowToggle';
import { FontControls } from './FontControls';
import { InstructorMessages } from './InstructorMessages';
import { NameBadge } from './NameBadge';
import { SplitLayout } from './SplitLayout';
import { StepView } from './StepView';
import { TerminalPane } from './TerminalPane';
import { useArrowKeys } from './useArrowKeys';
import { useFontScale } from './useFontScale';
import { useRanBlocks } from './useRanBlocks';
import { useStepInUrl } from './useStepInUrl';
import { useTerminalSocket } from './useTerminalSocket';
import { usePreflight } from './usePreflight';
import { useTeach } from './useTeach';
import { usePresenterFollow } from './usePresenterFollow';
import { WatchNotice } from './WatchNotice';

const BASE_TERMINAL_FONT = 15;

export function LabView({ id }: { id: string }) {
  const [lab, setLab] = useState<Lab | null>(null);
  const [error, setError] = useState<{ status: number; message: string } | null>(null);

  useEffect(() => {
    let live = true;
    api.lab(id).then(
      (l) => live && setLab(l),
      (err: unknown) =>
        live && setError(err instanceof ApiError ? { status: err.status, message: err.message } : { status: 0, message: String(err) }),
    );
    return () => {
      live = false;
    };
  }, [id]);

  if (error) return <LabError id={id} {...error} />;
  if (!lab) return <div className="page-loading">Loading lab…</div>;
  return <LabWorkspace lab={lab} />;
}

function LabWorkspace({ lab }: { lab: Lab }) {
  const [step, setStep] = useStepInUrl(lab.steps.length);
  const font = useFontScale();
  const { conn, snap } = useTerminalSocket();
  const { ran, markRan } = useRanBlocks(lab.id);

  useEffect(() => {
    document.title = `${lab.title} · labdeck`;
  }, [lab.title]);

  useEffect(() => {
    if (conn && step != null) conn.setProgress(lab.id, step);
  }, [conn, lab.id, step]);

  const canRun = snap.state.kind === 'connected';
  const teach = useTeach(lab, step, canRun);
  const go = useCallback((index: number) => setStep(index), [setStep]);
  const follow = usePresenterFollow(lab.id, snap.presenter, go);
  useArrowKeys(
    useCallback(
      (delta: -1 | 1) => {
        // `requireCheck`: the arrow key waits for a pass too, like the Next button.
        if (step != null && !(delta === 1 && teach.nextBlocked)) go(step + delta);
      },
      [go, step, teach.nextBlocked],
    ),
  );

  const preflight = usePreflight(lab.id, canRun);
  const run: RunControls = useMemo(
    () => ({
      labId: lab.id,
      canRun,
      ran,
      missingTools: preflight.missing,
      onRun: (block: CodeBlock) => {
        if (conn?.run(lab.id, block.id)) markRan(block.id);
      },
    }),
    [canRun, ran, preflight.missing, conn, lab.id, markRan],
  );

  const style = { '--slide-scale': font.scale } as CSSProperties;
  return (
    <div className="lab-app" style={style}>
      <header className="topbar">
        <Link href="/" className="brand" aria-label="labdeck: all labs">
          lab<span>deck</span>
        </Link>
        <span className="topbar-title">{lab.title}</span>
        <span className="spacer-flex" />
        <FollowToggle follow={follow} onGo={go} />
        <NameBadge />
        <FontControls {...font} />
      </header>
      {conn && <InstructorMessages messages={snap.messages} onDismiss={(mid) => conn.dismissMessage(mid)} />}
      {conn && <WatchNotice watch={snap.watch} onAnswer={(a) => conn.answerControl(a)} />}
      <SplitLayout
        left={step == null ? <div className="page-loading">Loading…</div> : <StepView lab={lab} index={step} run={run} teach={teach} onGo={go} />}
        right={<TerminalPane preflight={preflight} conn={conn} snap={snap} fontSize={Math.round(BASE_TERMINAL_FONT * font.scale)} />}
      />
    </div>
  );
}

function LabError({ id, status, message }: { id: string; status: number; message: string }) {
  return (
    <main className="catalogue">
      <div className="error-card">
        <h1>{status === 404 ? 'No such lab' : 'This lab could not be loaded'}</h1>
        <p>
          {status === 404 ? (
            <>
              There is no lab called <code>{id}</code>.
            </>
          ) : (
            message
          )}
        </p>
        <Link href="/" className="btn btn-primary">
          ← All labs
        </Link>
      </div>
    </main>
  );
}
