/**
 * A runner that cannot start says why in one line, naming the setting to change, exits 1, and
 * leaves no sandbox behind: its warm pool waits until the port is held.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandboxesOf } from '../support/engine.ts';
import { runUntilExit } from '../support/runner-process.ts';

/** A port held by another program on loopback. */
async function takenPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  return { port: address.port, server };
}

test('a port already in use: one line naming the port and --port / LAB_PORT, exit 1, no warm sandbox left', async () => {
  const { port, server } = await takenPort();
  try {
    const exit = await runUntilExit({ LAB_PROVIDER: 'dind', LAB_WARM_SANDBOXES: '1', LAB_PORT: String(port) });
    assert.equal(exit.stderr, `Port ${port} on 127.0.0.1 is already in use: stop what holds it, or choose another port with --port or LAB_PORT.\n`);
    assert.equal(exit.code, 1);
    assert.deepEqual(await sandboxesOf(exit.owner), [], 'no labelled sandbox container of that runner');
  } finally {
    server.close();
  }
});

test('the same port given as --port, as npm start passes it: the same line', async () => {
  const { port, server } = await takenPort();
  try {
    const exit = await runUntilExit({ LAB_PROVIDER: 'host' }, ['--port', String(port)]);
    assert.equal(exit.stderr, `Port ${port} on 127.0.0.1 is already in use: stop what holds it, or choose another port with --port or LAB_PORT.\n`);
    assert.equal(exit.code, 1);
  } finally {
    server.close();
  }
});

test('a site folder that does not exist: one line naming it and the setting, exit 1, no sandbox left', async () => {
  const missing = join(tmpdir(), 'lab-no-such-site-folder');
  const exit = await runUntilExit({ LAB_PROVIDER: 'dind', LAB_WARM_SANDBOXES: '1', LAB_PORT: '0', LAB_SITE_DIR: missing });
  assert.equal(exit.stderr, `The site folder ${missing} (--site-dir, LAB_SITE_DIR) does not exist: build the site with npm run build, or point the setting at a built one.\n`);
  assert.equal(exit.code, 1);
  assert.deepEqual(await sandboxesOf(exit.owner), []);
});

test('a site folder that is a file: one line saying it is not a folder, exit 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-site-'));
  const file = join(dir, 'index.html');
  writeFileSync(file, '<p>not a folder</p>');
  try {
    const exit = await runUntilExit({ LAB_PROVIDER: 'host', LAB_PORT: '0', LAB_SITE_DIR: file });
    assert.equal(exit.stderr, `The site folder ${file} (--site-dir, LAB_SITE_DIR) is not a folder: point the setting at the built site (dist).\n`);
    assert.equal(exit.code, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never an address of this machine. Nothing is sent there;
// the bind is refused locally.
test('a bind address this machine does not have: one line naming --host / LAB_HOST, exit 1, no sandbox left', async () => {
  const exit = await runUntilExit({ LAB_PROVIDER: 'dind', LAB_WARM_SANDBOXES: '1', LAB_HOST: '192.0.2.1', LAB_PORT: '0' });
  assert.equal(exit.stderr, 'Cannot listen on 192.0.2.1: it is not an address of this machine; choose another with --host or LAB_HOST (127.0.0.1 keeps the runner on loopback).\n');
  assert.equal(exit.code, 1);
  assert.deepEqual(await sandboxesOf(exit.owner), []);
});
