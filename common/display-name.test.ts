// The display-name rule (issue 17 §7): what is refused, and which names are one name to the room. The
// server compares names by displayNameKey (server/http/workshop-api.ts), so a look-alike with the same
// key is "already taken" and one with an invisible character is refused before it is compared at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayNameKey, displayNameProblem, normalizeDisplayName } from './display-name.js';

test('displayNameProblem: the join rule, shared by the page and the server', () => {
  const cases: Array<[string, RegExp | null]> = [
    ['Ana', null],
    ['  Ana  ', null],
    ['<b>Ana</b> & "co"', null],
    ['Zoë 👩‍💻', null],
    ['flag 🏴󠁧󠁢󠁳󠁣󠁴󠁿 keycap 1️⃣ heart ❤️', null],
    ['ñ'.repeat(60), null],
    ['', /Type a display name/],
    [' \t ', /Type a display name/],
    ['\u00a0\u3000', /Type a display name/],
    ['x'.repeat(61), /at most 60 characters/],
    ['Ana\u0007', /control characters/],
    ['Ana\u001b[31mred', /control characters/],
    ['a\u0085b', /control characters/],
    ['Ana\nBob', /control characters/],
    ['Ana\u2028Bob', /control characters/],
    ['Ana\ud800', /control characters/],
    ['admin\u202Etxt.exe', /invisible characters \(U\+202E/],
    ['a\u2066b', /invisible characters \(U\+2066/],
  ];
  for (const [name, want] of cases) {
    const got = displayNameProblem(name);
    if (want === null) assert.equal(got, null, JSON.stringify(name));
    else assert.match(got ?? '', want, JSON.stringify(name));
  }
});

test('invisible characters are refused wherever they are, except inside an emoji sequence', () => {
  const invisible: Array<[string, string]> = [
    ['Ada\u200b', 'U+200B'], // zero-width space
    ['A\u200cda', 'U+200C'], // zero-width non-joiner
    ['A\u200dda', 'U+200D'], // zero-width joiner between letters
    ['Ad\u2060a', 'U+2060'], // word joiner
    ['A\ufeffda', 'U+FEFF'], // BOM inside the name
    ['Ada\u00ad', 'U+00AD'], // soft hyphen
    ['Ada\u200e', 'U+200E'], // left-to-right mark
    ['Ada\u061c', 'U+061C'], // Arabic letter mark
    ['Ada\ufe0f', 'U+FE0F'], // a variation selector after a letter
    ['Ada\u3164', 'U+3164'], // Hangul filler
    ['Ada\u2800', 'U+2800'], // blank braille pattern
    ['Ada\u{e0041}', 'U+E0041'], // a tag character outside a flag
  ];
  for (const [name, at] of invisible) assert.match(displayNameProblem(name) ?? '', new RegExp(`invisible characters \\(${at.replace('+', '\\+')} here`), JSON.stringify(name));
});

test('look-alikes have one key: the second is "already taken", never a second person', () => {
  const same: Array<[string, string, string]> = [
    ['Ada', 'Ａｄａ', 'fullwidth letters'],
    ['Ada', 'ada', 'case'],
    ['Ada', 'ADA', 'case'],
    ['Zoë', 'Zoe\u0308', 'e + combining diaeresis'],
    ['Zoë', 'ZOË', 'case beyond ASCII'],
    ['Éva', 'E\u0301VA', 'combining acute, upper case'],
    ['Ada Lovelace', 'Ada\u00a0Lovelace', 'no-break space'],
    ['Ada Lovelace', 'Ada   Lovelace', 'a run of spaces'],
    ['Ada Lovelace', 'Ada\u3000Lovelace', 'ideographic space'],
    ['Ada', ' Ada\ufeff', 'a BOM at the edge is trimmed'],
    ['Strauß', 'STRAUSS', 'ß upper-cases to SS'],
    ['ﬁona', 'fiona', 'the fi ligature'],
    ['Ada²', 'Ada2', 'superscript two'],
  ];
  for (const [a, b, why] of same) assert.equal(displayNameKey(b), displayNameKey(a), `${why}: ${JSON.stringify(b)}`);
  const different: Array<[string, string]> = [
    ['Ada', 'Adá'],
    ['Ada', 'Ada L'],
    ['Ana', 'Anna'],
  ];
  for (const [a, b] of different) assert.notEqual(displayNameKey(b), displayNameKey(a), `${a} / ${b}`);
});

test('the stored name is the normalized one', () => {
  assert.equal(normalizeDisplayName('  Ｂｏ　Ｌｉ '), 'Bo Li');
  assert.equal(normalizeDisplayName('Zoe\u0308'), 'Zoë');
  assert.equal(normalizeDisplayName('Ada   Lovelace'), 'Ada Lovelace');
});
