import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalDriver } from './local.js';
import { parsePreflight, preflight } from './preflight.js';

const root = mkdtempSync(path.join(tmpdir(), 'labdeck-preflight-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('a real sandbox: bash is found with its version, a made-up tool is missing with its install line', async () => {
  const driver = new LocalDriver({ root });
  const sb = await driver.create();
  const report = await preflight(sb, [
    { name: 'bash', version: 'bash --version' },
    { name: 'labdeck-no-such-tool', install: 'apt-get install labdeck-no-such-tool', why: 'to test' },
    { name: 'bad name; rm -rf /' },
  ]);
  await driver.destroy(sb);
  const [bash, missing, bad] = report.tools;
  assert.equal(bash!.found, true);
  assert.match(bash!.version ?? '', /GNU bash, version \d/);
  assert.equal(missing!.found, false);
  assert.equal(missing!.install, 'apt-get install labdeck-no-such-tool');
  assert.equal(bad!.found, false, 'a tool name that is not a plain word is never run');
});

test('parsePreflight reads engine failures', () => {
  const r = parsePreflight('@@labdeck engine podman\n@@labdeck engine-failed\nError: cgroups in hybrid mode not supported\n', []);
  assert.equal(r.engine.state, 'failed');
  assert.match(r.engine.detail, /hybrid mode/);
  const ok = parsePreflight('@@labdeck engine podman\n@@labdeck engine-ok localhost/x:latest\n', []);
  assert.equal(ok.engine.state, 'ok');
  assert.match(ok.engine.detail, /localhost\/x:latest/);
  const noImage = parsePreflight('@@labdeck engine podman\n@@labdeck engine-no-image\n', []);
  assert.equal(noImage.engine.state, 'no-image');
  const none = parsePreflight('@@labdeck engine none\n', []);
  assert.equal(none.engine.state, 'none');
  assert.match(none.engine.detail, /no container engine/);
});
