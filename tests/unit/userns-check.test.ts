import { test } from 'node:test';
import assert from 'node:assert/strict';
import Docker from 'dockerode';
import { createLogger } from '../../runner/log.ts';
import { DindProvider } from '../../runner/sandbox/dind.ts';
import { SandboxError } from '../../runner/sandbox/provider.ts';
import { userNamespaceProblem, type SysctlReader } from '../../runner/sandbox/userns-check.ts';

/** A kernel with these settings (path under /proc/sys -> value); absent ones do not exist. */
const kernel = (settings: Record<string, string>): SysctlReader => (path) => settings[path] ?? null;

test('user namespaces allowed: no problem, with or without the distributions\' extra switches', () => {
  assert.equal(userNamespaceProblem(kernel({ 'user/max_user_namespaces': '96365' })), null);
  assert.equal(userNamespaceProblem(kernel({ 'user/max_user_namespaces': '15000', 'kernel/unprivileged_userns_clone': '1', 'kernel/apparmor_restrict_unprivileged_userns': '0' })), null);
});

test('user.max_user_namespaces = 0: says so, and what to set', () => {
  assert.equal(
    userNamespaceProblem(kernel({ 'user/max_user_namespaces': '0' })),
    'The dind provider runs each sandbox in a user namespace, and this machine allows none (user.max_user_namespaces = 0). Allow at least one per sandbox with room to spare, e.g. user.max_user_namespaces=15000. Set it (sysctl -w, and in /etc/sysctl.d/ to keep it across reboots), or use --provider host for one trusted user on this machine.',
  );
});

test('a kernel without user namespaces: says it needs CONFIG_USER_NS', () => {
  assert.equal(
    userNamespaceProblem(kernel({})),
    'The dind provider runs each sandbox in a user namespace, and this kernel has none (no user.max_user_namespaces): it needs a kernel built with CONFIG_USER_NS. Or use --provider host for one trusted user on this machine.',
  );
});

test("Debian's unprivileged_userns_clone = 0 and Ubuntu's AppArmor restriction: each named, with the value to set", () => {
  assert.match(userNamespaceProblem(kernel({ 'user/max_user_namespaces': '100', 'kernel/unprivileged_userns_clone': '0' })) ?? '', /\(kernel\.unprivileged_userns_clone = 0\)\. Set kernel\.unprivileged_userns_clone=1\./);
  assert.match(
    userNamespaceProblem(kernel({ 'user/max_user_namespaces': '100', 'kernel/apparmor_restrict_unprivileged_userns': '1' })) ?? '',
    /AppArmor refuses that here \(kernel\.apparmor_restrict_unprivileged_userns = 1\)\. Set kernel\.apparmor_restrict_unprivileged_userns=0\./,
  );
});

test('where the check finds a problem, the dind provider says so at start and starts no sandbox (no fallback)', async () => {
  const lines: string[] = [];
  const said: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => said.push(String(chunk)) > 0) as typeof process.stderr.write;
  const saved = process.env.DOCKER_HOST;
  delete process.env.DOCKER_HOST;
  let provider: DindProvider;
  try {
    // An engine address nothing listens on: a sandbox that tried to start would fail differently.
    provider = new DindProvider(new Docker({ socketPath: '/nonexistent/docker.sock' }), { image: 'x', memoryBytes: 1, diskBytes: 1, pids: 1, cpus: 1, warm: 1 }, createLogger({ write: (l) => lines.push(l) }), () => 'user namespaces are off here');
  } finally {
    process.stderr.write = write;
    if (saved !== undefined) process.env.DOCKER_HOST = saved;
  }
  assert.deepEqual(said, ['user namespaces are off here\n']);
  assert.ok(lines.some((l) => JSON.parse(l).level === 'error' && JSON.parse(l).reason === 'user namespaces are off here'));
  provider.warmUp();
  await assert.rejects(provider.create('session-id', () => {}), (error: unknown) => {
    assert.ok(error instanceof SandboxError);
    assert.equal(error.code, 'sandbox-failed');
    assert.equal(error.message, 'The sandbox could not be started: user namespaces are off here');
    return true;
  });
  await provider.close();
});
