import assert from 'node:assert/strict';
import { test } from 'node:test';
import { INSTRUCTOR_PROTOCOL, instructorProtocols, tokenFromProtocols } from './instructor-socket.js';

test('a token survives the round trip through the subprotocol header, unicode included', () => {
  for (const token of ['s3cret', 'tok+/=en', 'ünï-çødé ✓']) {
    assert.equal(tokenFromProtocols(instructorProtocols(token).join(', ')), token);
  }
});

test('headers without the instructor protocol, or with a malformed bearer, carry no token', () => {
  const cases: Array<string | undefined> = [
    undefined,
    '',
    'labdeck.bearer.czNjcmV0',
    `${INSTRUCTOR_PROTOCOL}`,
    `${INSTRUCTOR_PROTOCOL}, labdeck.bearer.`,
    `${INSTRUCTOR_PROTOCOL}, labdeck.bearer.not*base64`,
    `${INSTRUCTOR_PROTOCOL}, labdeck.bearer.${'A'.repeat(2000)}`,
    `${INSTRUCTOR_PROTOCOL}, labdeck.bearer.__8`, // bytes that are not UTF-8
  ];
  for (const h of cases) assert.equal(tokenFromProtocols(h), null, String(h));
});
