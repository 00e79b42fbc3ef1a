'use client';
/**
 * The join page (issue 10): a workshop code (filled in from the join link) and a display name, in
 * type large enough to follow on a projector. The server decides (POST /api/join); this page checks
 * the name with the same rule first so a typo is explained before anything is sent, and shows the
 * server's refusals as they are: a closed joining among them. After too many wrong codes (429,
 * issue 17 §2) it says in words how long to wait, counts down, and keeps Join off until then.
 */
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { displayNameProblem, MAX_NAME_CHARS } from '@/common/display-name';
import { api, ApiError } from '@/app/lib/api';
import styles from './join.module.css';

/** "45 seconds", "1 minute", "2 minutes 5 seconds". */
export function waitInWords(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (s < 60) return unit(s, 'second');
  return s % 60 ? `${unit(Math.floor(s / 60), 'minute')} ${unit(s % 60, 'second')}` : unit(s / 60, 'minute');
}

export function JoinForm({ code: fromLink }: { code: string | null }) {
  const router = useRouter();
  const [code, setCode] = useState(fromLink ?? '');
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /** A 429: why (the server's reason), and until when (ms since epoch) Join stays off. */
  const [limited, setLimited] = useState<{ why: string; until: number } | null>(null);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!limited) return;
    const tick = setInterval(() => {
      const t = Date.now();
      setNow(t);
      if (t >= limited.until) setLimited(null);
    }, 1000);
    return () => clearInterval(tick);
  }, [limited]);
  // Until React has hydrated the page, a click on Join would submit the form natively (a reload that
  // loses the name): the button waits for hydration, and what was typed before it is taken over.
  const [hydrated, setHydrated] = useState(false);
  const codeInput = useRef<HTMLInputElement>(null);
  const nameInput = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const typedCode = codeInput.current?.value ?? '';
    const typedName = nameInput.current?.value ?? '';
    if (typedCode) setCode(typedCode.toUpperCase());
    if (typedName) setName(typedName);
    setHydrated(true);
  }, []);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const problem = code.trim() ? displayNameProblem(name) : 'Type the workshop code shown on the projector.';
    if (problem) return setError(problem);
    setBusy(true);
    setError(null);
    api.join(code.trim(), name).then(
      (joined) => router.push(joined.labUrl),
      (err: unknown) => {
        setBusy(false);
        if (err instanceof ApiError && err.retryAfterS !== null) {
          // The server's reason without its own "wait N seconds": the countdown below says that.
          setLimited({ why: err.message.split(':')[0]!, until: Date.now() + err.retryAfterS * 1000 });
          setNow(Date.now());
          return;
        }
        setError(err instanceof ApiError ? err.message : 'Joining failed; try again.');
      },
    );
  };

  return (
    <main className={styles.join}>
      <h1 className={styles.title}>
        Join the <span className="brand">lab<span>deck</span></span> workshop
      </h1>
      <form className={styles.form} onSubmit={submit} noValidate>
        <label className={styles.label}>
          Workshop code
          <input
            className={styles.input}
            ref={codeInput}
            value={code}
            onChange={(e) => setCode(e.target.value.toUpperCase())}
            autoFocus={!fromLink}
            autoComplete="off"
            autoCapitalize="characters"
            spellCheck={false}
            maxLength={16}
            data-testid="join-code"
          />
        </label>
        <label className={styles.label}>
          Your name
          <input
            className={styles.input}
            ref={nameInput}
            value={name}
            onChange={(e) => setName(e.target.value)}
            autoFocus={Boolean(fromLink)}
            autoComplete="nickname"
            maxLength={MAX_NAME_CHARS * 2}
            placeholder="as the instructor will see it"
            data-testid="join-name"
          />
        </label>
        <button type="submit" className={`btn btn-primary ${styles.go}`} disabled={busy || !hydrated || limited !== null} data-testid="join-submit">
          {busy ? 'Joining…' : 'Join'}
        </button>
        {limited && (
          <p className={styles.error} role="alert" data-testid="join-wait">
            {limited.why}. You can try again in {waitInWords((limited.until - now) / 1000)}.
          </p>
        )}
        {error && (
          <p className={styles.error} role="alert" data-testid="join-error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
