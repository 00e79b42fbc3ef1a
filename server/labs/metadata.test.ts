import assert from 'node:assert/strict';
import { testDecks } from './deck-cases.js';

testDecks('labdeck metadata', [
  {
    name: 'a metadata comment declares tools',
    deck: [
      '# T',
      '<!-- labdeck',
      'tools:',
      '  - name: kubectl',
      '    version: kubectl version --client',
      '    install: see docs',
      '  - name: kind',
      '    colour: blue',
      '-->',
      'text',
    ].join('\n'),
    diagnostics: ['7:5 warning'],
    check: ({ lab }) => {
      assert.deepEqual(lab.tools, [{ name: 'kubectl', version: 'kubectl version --client', install: 'see docs' }]);
      assert.ok(!JSON.stringify(lab.steps).includes('tools'));
    },
  },
  {
    name: 'broken metadata YAML is an error at its line',
    deck: '# T\n\n<!-- labdeck\ntools:\n  - name: [kubectl\n-->\n',
    diagnostics: ['6:1 error'],
    error: 'labdeck metadata is not valid YAML',
  },
  {
    name: 'each invalid tool and unknown key: a warning at the offending value',
    deck: '# L\n<!-- labdeck\ntools:\n  - name: "bad name!"\n    why: ""\n  - 3\n  - {}\n  - name: ok\nextra: 1\n-->\n',
    diagnostics: ['4:11 warning', '5:10 warning', '6:5 warning', '7:5 warning', '9:1 warning'],
    check: ({ lab }) => {
      assert.deepEqual(lab.tools, [{ name: 'ok' }]);
      assert.deepEqual(
        lab.warnings.map((w) => w.message),
        [
          'labdeck tool #1 name: must be a command name, e.g. kubectl; tool ignored',
          'labdeck tool #1 why: Too small: expected string to have >=1 characters; tool ignored',
          'labdeck tool #2: Invalid input: expected object, received number; tool ignored',
          'labdeck tool #3 name: Invalid input: expected string, received undefined; tool ignored',
          'unknown labdeck metadata key "extra"; ignored',
        ],
      );
    },
  },
  {
    name: 'metadata that is not a mapping, tools that is not a list; several comments add up',
    deck: '# L\n<!-- labdeck\n- a\n-->\n<!-- labdeck\ntools: nope\n-->\n<!-- labdeck\ntools: [{name: a}]\n-->\n<!-- labdeck\ntools: [{name: b}]\n-->\n',
    diagnostics: ['3:1 warning', '6:1 warning'],
    check: ({ lab }) => {
      assert.deepEqual(lab.tools, [{ name: 'a' }, { name: 'b' }]);
    },
  },
]);
