/**
 * How the instructor's browser authenticates a WebSocket. A browser cannot set `Authorization` on a
 * WebSocket handshake, and a token in the URL ends up in logs and history; so the bearer token travels
 * as a subprotocol, `labdeck.bearer.<base64url(token)>`, the way Kubernetes' API server accepts
 * `base64url.bearer.authorization.k8s.io.<token>`. The server checks it before the upgrade (401 without
 * it) and answers with INSTRUCTOR_PROTOCOL, never echoing the token back.
 */
export const INSTRUCTOR_PROTOCOL = 'labdeck.instructor.v1';
const BEARER_PREFIX = 'labdeck.bearer.';

/** Base64url without padding, for browser and Node alike (btoa/atob exist in both). */
function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): string | null {
  if (!/^[A-Za-z0-9_-]{1,512}$/.test(text)) return null;
  try {
    const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}

/** The subprotocols an instructor page passes to `new WebSocket(url, protocols)`. */
export function instructorProtocols(token: string): string[] {
  return [INSTRUCTOR_PROTOCOL, BEARER_PREFIX + toBase64Url(token)];
}

/** The token carried by a `Sec-WebSocket-Protocol` header, or null (absent, malformed, oversized). */
export function tokenFromProtocols(header: string | undefined): string | null {
  if (!header || header.length > 1024) return null;
  const offered = header.split(',').map((p) => p.trim());
  if (!offered.includes(INSTRUCTOR_PROTOCOL)) return null;
  const bearer = offered.find((p) => p.startsWith(BEARER_PREFIX));
  return bearer ? fromBase64Url(bearer.slice(BEARER_PREFIX.length)) : null;
}
