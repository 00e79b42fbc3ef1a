/**
 * The teaching routes of the HTTP API (server/http/teach-api.ts): checks, setup, typing a solution,
 * and a snippet's streamed output. Out of band of the terminal socket, on the attendee's cookie.
 */
import { ApiError } from '@/app/lib/api';
import { CheckAnswerSchema, PassedStepsSchema, SetupAnswerSchema, SnippetEventSchema, type CheckAnswer, type SetupAnswer, type SnippetEvent } from '@/common/api';

export type { CheckAnswer, SetupAnswer, SnippetEvent };


async function post(path: string, body: unknown): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: 'POST',
      cache: 'no-store',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'The labdeck server is unreachable.');
  }
  if (!res.ok) {
    const payload = (await res.json().catch(() => null)) as { error?: unknown } | null;
    throw new ApiError(res.status, typeof payload?.error === 'string' ? payload.error : `${res.status} ${res.statusText}`);
  }
  return res;
}

export const teachApi = {
  check: async (lab: string, step: number) => CheckAnswerSchema.parse(await (await post('/api/check', { lab, step })).json()),
  setup: async (lab: string, step: number) => SetupAnswerSchema.parse(await (await post('/api/setup', { lab, step })).json()),
  type: async (lab: string, step: number, what: 'solution' | 'enter') => {
    await post('/api/type', { lab, step, what });
  },
  passed: async (lab: string): Promise<number[]> => {
    const res = await fetch(`/api/check?lab=${encodeURIComponent(lab)}`, { cache: 'no-store' });
    if (!res.ok) return [];
    return PassedStepsSchema.parse(await res.json()).passed;
  },
  /** Run a snippet; `onEvent` gets each line of the stream as it arrives. */
  snippet: async (lab: string, block: string, onEvent: (e: SnippetEvent) => void, signal: AbortSignal): Promise<void> => {
    const res = await fetch('/api/snippet', {
      method: 'POST',
      cache: 'no-store',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ lab, block }),
      signal,
    });
    if (!res.ok || !res.body) {
      const payload = (await res.json().catch(() => null)) as { error?: unknown } | null;
      throw new ApiError(res.status, typeof payload?.error === 'string' ? payload.error : `${res.status} ${res.statusText}`);
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let pending = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      pending += value;
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        onEvent(SnippetEventSchema.parse(JSON.parse(pending.slice(0, nl))));
        pending = pending.slice(nl + 1);
      }
    }
  },
};
