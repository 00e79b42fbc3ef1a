import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commentText, isComment, readComment, type CommentMeaning } from './comments.js';
import { testDecks } from './deck-cases.js';

const UNKNOWN = (name: string) =>
  `unknown comment command "${name}"; ignored (presenterm rejects it: use <!-- // … --> for notes)`;

/** [text between `<!--` and `-->`, command_prefix, meaning] */
const comments: [string, string, CommentMeaning][] = [
  [' end_slide ', '', { kind: 'command', command: { name: 'end_slide' } }],
  [' pause ', '', { kind: 'command', command: { name: 'pause' } }],
  [' jump_to_middle ', '', { kind: 'command', command: { name: 'jump_to_middle' } }],
  [' skip_slide ', '', { kind: 'command', command: { name: 'skip_slide' } }],
  [' reset_layout ', '', { kind: 'command', command: { name: 'reset_layout' } }],
  [' new_line ', '', { kind: 'command', command: { name: 'spacer', lines: 1 } }],
  [' newline ', '', { kind: 'command', command: { name: 'spacer', lines: 1 } }],
  [' new_lines: 3 ', '', { kind: 'command', command: { name: 'spacer', lines: 3 } }],
  [' newlines: 2 ', '', { kind: 'command', command: { name: 'spacer', lines: 2 } }],
  [' new_lines: x ', '', { kind: 'warning', message: 'new_lines needs a positive whole number, e.g. <!-- new_lines: 2 -->' }],
  [' new_lines: 0 ', '', { kind: 'warning', message: 'new_lines needs a positive whole number, e.g. <!-- new_lines: 2 -->' }],
  [' column_layout: [1, 2] ', '', { kind: 'command', command: { name: 'column_layout', widths: [1, 2] } }],
  // Every width is checked alike (a three-column layout of equal widths is fine; a zero width is not).
  [' column_layout: [1, 1, 1] ', '', { kind: 'command', command: { name: 'column_layout', widths: [1, 1, 1] } }],
  [' column_layout: [0, 1] ', '', { kind: 'warning', message: 'column_layout needs a list of positive widths, e.g. <!-- column_layout: [1, 2] -->' }],
  [' column_layout: [] ', '', { kind: 'warning', message: 'column_layout needs a list of positive widths, e.g. <!-- column_layout: [1, 2] -->' }],
  [' column_layout: 2 ', '', { kind: 'warning', message: 'column_layout needs a list of positive widths, e.g. <!-- column_layout: [1, 2] -->' }],
  [' column: 1 ', '', { kind: 'command', command: { name: 'column', index: 1 } }],
  [' column: 0 ', '', { kind: 'command', command: { name: 'column', index: 0 } }],
  [' column: -1 ', '', { kind: 'command', command: { name: 'column', index: undefined } }],
  [' column: x ', '', { kind: 'command', command: { name: 'column', index: undefined } }],
  [' speaker_note: say hi ', '', { kind: 'command', command: { name: 'speaker_note', text: 'say hi' } }],
  // Not a YAML string: the note is the text as written.
  [' speaker_note: a: b ', '', { kind: 'command', command: { name: 'speaker_note', text: 'a: b' } }],
  [' speaker_note ', '', { kind: 'command', command: { name: 'speaker_note', text: '' } }],
  [' include: other.md ', '', { kind: 'warning', message: 'include is not supported by labdeck: the included file is not shown; inline its content' }],
  [' font_size: 2 ', '', { kind: 'ignored' }],
  [' incremental_lists: true ', '', { kind: 'ignored' }],
  [' // my own note ', '', { kind: 'ignored' }],
  [' vim: set ft=markdown ', '', { kind: 'ignored' }],
  [' {{{ ', '', { kind: 'ignored' }],
  [' }}} ', '', { kind: 'ignored' }],
  [' frobnicate: 3 ', '', { kind: 'warning', message: UNKNOWN('frobnicate') }],
  [' 123 ', '', { kind: 'warning', message: 'unknown comment command "123"; ignored' }],
  // Multi-line: a command when its YAML is one, the author's own note otherwise.
  ['\nend_slide\n', '', { kind: 'command', command: { name: 'end_slide' } }],
  ['\nspeaker_note: |\n  one\n  two\n', '', { kind: 'command', command: { name: 'speaker_note', text: 'one\ntwo' } }],
  ['\nfree text\n', '', { kind: 'ignored' }],
  ['\nnot: a\nsingle: command\n', '', { kind: 'ignored' }],
  ['\nfrobnicate: 1\n', '', { kind: 'ignored' }],
  ['\n[broken yaml\n', '', { kind: 'ignored' }],
  [' labdeck\ntools: []\n', '', { kind: 'metadata', yaml: 'tools: []\n' }],
  // command_prefix: only prefixed comments are commands.
  [' cmd:pause ', 'cmd:', { kind: 'command', command: { name: 'pause' } }],
  [' pause ', 'cmd:', { kind: 'ignored' }],
  [' cmd:bogus ', 'cmd:', { kind: 'warning', message: UNKNOWN('bogus') }],
];

for (const [inner, prefix, meaning] of comments) {
  test(`readComment: ${JSON.stringify(inner)}${prefix ? ` with prefix ${prefix}` : ''}`, () => {
    assert.deepEqual(readComment(inner, prefix), meaning);
  });
}

test('commentText: exactly one comment at the top level; isComment: any comment block', () => {
  assert.equal(commentText('<!-- end_slide -->\n'), ' end_slide ');
  assert.equal(commentText('<!--\nmulti\n-->'), '\nmulti\n');
  assert.equal(commentText('<!-- a --> <!-- b -->'), undefined);
  assert.equal(commentText('<div>x</div>'), undefined);
  assert.equal(isComment('<!-- a --> <!-- b -->'), true);
  assert.equal(isComment('<div><!-- a --></div>'), false);
});

testDecks('comments', [
  {
    name: 'unknown comment command: a warning with its position, the lab still loads',
    deck: '# A\n\n  <!-- frobnicate: 3 -->\n<!-- // my own note -->\n<!-- vim: set ft=markdown -->\n<!--\nfree text\n-->\n',
    diagnostics: ['3:3 warning'],
  },
  {
    name: 'skip_slide drops the slide and its notes',
    deck: '# A\n<!-- end_slide -->\n# B\n<!-- skip_slide -->\n<!-- speaker_note: hidden -->\n<!-- end_slide -->\n# C\n',
    diagnostics: [],
    check: ({ lab, notes }) => {
      assert.deepEqual(lab.steps.map((s) => [s.index, s.title]), [[0, 'A'], [1, 'C']]);
      assert.deepEqual(notes, [{ index: 0, speakerNotes: [] }, { index: 1, speakerNotes: [] }]);
    },
  },
  {
    name: 'speaker notes, single and multi-line, kept out of the attendee lab',
    deck: '# A\n<!-- speaker_note: say hi -->\ntext\n<!--\nspeaker_note: |\n  line one\n  line two\n-->\n<!-- pause -->\nend\n',
    diagnostics: [],
    check: ({ lab, notes }) => {
      assert.deepEqual(notes, [{ index: 0, speakerNotes: ['say hi', 'line one\nline two'] }]);
      assert.ok(!JSON.stringify(lab).includes('say hi'));
      assert.deepEqual(lab.steps[0]?.blocks.map((b) => b.kind), ['markdown', 'markdown', 'pause', 'markdown']);
    },
  },
  {
    name: 'spacers and jump_to_middle',
    deck: '# A\n<!-- new_line -->\n<!-- new_lines: 3 -->\n<!-- jump_to_middle -->\n<!-- new_lines: x -->\n',
    diagnostics: ['5:1 warning'],
    check: ({ lab }) => {
      assert.deepEqual(lab.steps[0]?.blocks.slice(1), [
        { kind: 'spacer', lines: 1, line: 2 },
        { kind: 'spacer', lines: 3, line: 3 },
        { kind: 'jump_to_middle', line: 4 },
      ]);
    },
  },
  {
    name: 'include is reported as unsupported',
    deck: '# A\n<!-- include: other.md -->\n',
    diagnostics: ['2:1 warning'],
  },
  {
    name: 'comments in a list or quote are not commands: removed, a single-line one warned about at its column',
    deck: '# N\n\n- item\n  <!-- pause -->\n- item 2\n  <!--\n  multi\n  -->\n\n> quote\n> <!-- end_slide -->\n',
    diagnostics: ['4:3 warning', '11:3 warning'],
    check: ({ lab }) => {
      assert.equal(lab.steps.length, 1);
      assert.deepEqual(lab.steps[0]?.blocks.map((b) => b.kind), ['markdown']);
      assert.ok(!JSON.stringify(lab.steps).includes('&lt;!--'));
    },
  },
  {
    name: 'command_prefix in the front matter: only prefixed comments are commands',
    deck: '---\noptions:\n  command_prefix: "cmd:"\n---\n# X\n<!-- cmd:pause -->\n<!-- pause -->\n<!-- cmd:bogus -->\n',
    diagnostics: ['8:1 warning'],
    check: ({ lab }) => {
      assert.deepEqual(lab.steps[0]?.blocks.map((b) => b.kind), ['markdown', 'pause']);
    },
  },
]);
