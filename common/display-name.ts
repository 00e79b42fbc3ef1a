/**
 * The display-name rule (issue 10, issue 17 §7), shared by the join page (it checks before sending)
 * and the server (the one that decides): what a name may contain, the form it is stored and shown in,
 * and the key two names are compared by. common/display-name.test.ts holds the table of look-alikes.
 */

/** The longest display name, in characters (code points), after trimming. */
export const MAX_NAME_CHARS = 60;

/**
 * Emoji sequences (👩‍💻, flags, keycaps) are drawn as one picture: their joiners and variation selectors
 * are part of what is seen, not hidden inside a word. `v` flag: built at run time so that an older
 * browser without it only loses the page's early check (the server, Node 20, decides).
 */
const EMOJI = (() => {
  try {
    return new RegExp('\\p{RGI_Emoji}', 'gv');
  } catch {
    return null;
  }
})();

/**
 * Characters that draw nothing (issue 17 §7): format characters (Cf: ZWSP, ZWJ, U+2060, U+FEFF, bidi
 * controls), the other default-ignorable code points (variation selectors, the Hangul fillers) and the
 * blank braille pattern. "Ada" followed by one of them looks like "Ada" on the projector.
 */
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/u;
/** C0/C1 controls, line and paragraph separators, lone surrogates: they move the cursor or break the text. */
const CONTROL = /[\p{Cc}\p{Zl}\p{Zp}\p{Cs}]/u;

/**
 * The name as it is stored and shown: NFKC (fullwidth "Ａｄａ" is "Ada", "Zoe" + U+0308 is "Zoë",
 * U+00A0 is a space), trimmed, runs of spaces made one. Attendees are shown what they will be called.
 */
export function normalizeDisplayName(name: string): string {
  return name.normalize('NFKC').trim().replace(/\p{Zs}+/gu, ' ');
}

/**
 * What two names are compared by (issue 17 §7): the stored form, case-folded (upper then lower, so
 * "ß" meets "SS", then NFKC again for what the case mapping decomposed). Two names with one key are
 * one person to the room.
 */
export function displayNameKey(name: string): string {
  return normalizeDisplayName(name).toUpperCase().toLowerCase().normalize('NFKC');
}

/**
 * Why a display name is refused, as a sentence for the join form, or null when it is fine. Shared by
 * the page (checks before sending) and the server (the one that decides), on the normalized name.
 * Control characters would move the cursor on the instructor's screen; invisible ones would make a
 * name read as another.
 */
export function displayNameProblem(name: string): string | null {
  const n = normalizeDisplayName(name);
  if (!n) return 'Type a display name.';
  if ([...n].length > MAX_NAME_CHARS) return `A display name has at most ${MAX_NAME_CHARS} characters.`;
  if (CONTROL.test(n)) return 'A display name cannot contain control characters (tabs, line breaks, escapes).';
  // Named as typed where it can be (NFKC turns U+3164 into U+1160, both blank).
  const visible = (text: string) => (EMOJI ? text.replace(EMOJI, '') : text);
  const hidden = INVISIBLE.exec(visible(name.trim())) ?? INVISIBLE.exec(visible(n));
  if (hidden) {
    const at = `U+${hidden[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    return `A display name cannot contain invisible characters (${at} here, such as a zero-width space or a direction mark): it would look like someone else's name.`;
  }
  return null;
}
