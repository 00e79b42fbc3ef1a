/**
 * Join codes: what attendees read off the projector and type (issue 10). The store keeps a workshop's
 * code and finds a workshop by it; what a code looks like is decided here (issue 18 §3).
 */
import { randomInt } from 'node:crypto';

/** Upper-case letters without the ones read aloud or projected ambiguously (I, L, O). */
export const JOIN_CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ';
/** Eight letters: 23^8 ≈ 7.8e10 codes, so the failed-join budget can be generous (docs/operations.md "Joining"). */
export const JOIN_CODE_LENGTH = 8;

/** A fresh random code (the store draws again on a clash with an existing one). */
export function newJoinCode(): string {
  let code = '';
  for (let i = 0; i < JOIN_CODE_LENGTH; i++) code += JOIN_CODE_ALPHABET[randomInt(JOIN_CODE_ALPHABET.length)];
  return code;
}

/**
 * What was typed, as stored: codes are matched whatever their case, and the groups of four read off
 * a projector may come with a space or a dash between them.
 */
export function normalizeJoinCode(typed: string): string {
  return typed.replace(/[\s-]/g, '').toUpperCase();
}
