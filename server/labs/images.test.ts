import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assetUrl } from './images.js';
import { testDecks } from './deck-cases.js';

/** [src as written, asset URL or undefined when it must not be served] */
const sources: [string, string | undefined][] = [
  ['img/a.png', '/labs/demo/assets/img/a.png'],
  ['img/a%20b.png', '/labs/demo/assets/img/a%20b.png'],
  ['./ok.png?x=1#f', '/labs/demo/assets/ok.png'],
  ['img/../a.png', '/labs/demo/assets/a.png'],
  ['../secret.png', undefined],
  ['a/../../x.png', undefined],
  ['..', undefined],
  ['.', undefined],
  ['/etc/passwd', undefined],
  ['https://x.test/y.png', undefined],
  ['data:image/png;base64,xx', undefined],
  ['a\\b.png', undefined],
  ['%2e%2e/secret.png', undefined],
  ['%E0%A4%A.png', undefined],
  ['', undefined],
];

for (const [src, url] of sources) {
  test(`assetUrl: ${JSON.stringify(src)}`, () => {
    assert.equal(assetUrl(src, 'demo', '/labs/demo'), url);
  });
}

testDecks('images', [
  {
    name: 'inside the folder rewritten, outside left as alt text, warned at the `![`',
    deck: '# I\n\n![diagram](img/a%20b.png)\n\n![up](../secret.png) and ![web](https://x.test/y.png)\n',
    diagnostics: ['5:1 warning', '5:26 warning'],
    check: ({ lab }) => {
      const html = lab.steps[0]?.blocks[0]?.kind === 'markdown' ? lab.steps[0].blocks[0].html : '';
      assert.ok(html.includes('<img src="/labs/demo/assets/img/a%20b.png" alt="diagram">'));
      assert.ok(html.includes('<p>up and web</p>'));
    },
  },
]);
