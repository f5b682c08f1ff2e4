import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { capacityCheck, lanAddresses, parseMeminfo, servingHint, startReport, workshopLinks } from '../../runner/workshop/capacity.ts';

const GIB = 1024 ** 3;
/** /proc/meminfo of a 24 GiB machine with 22 GiB available (the figures in kB, as the kernel writes them). */
const MEMINFO = `MemTotal:       25165824 kB
MemFree:        18683716 kB
MemAvailable:   23068672 kB
Buffers:          262144 kB
`;

test('meminfo: MemTotal and MemAvailable in bytes; a text without them is null', () => {
  assert.deepEqual(parseMeminfo(MEMINFO), { totalBytes: 24 * GIB, availableBytes: 22 * GIB });
  assert.equal(parseMeminfo('MemTotal: 1000 kB\n'), null);
  assert.equal(parseMeminfo(''), null);
});

test('capacity: a room that fits says so, with the warm pool', () => {
  const check = capacityCheck({ learners: 20, sandboxMemoryBytes: GIB, warmSandboxes: 4, meminfo: parseMeminfo(MEMINFO), provider: 'dind' });
  assert.equal(check.fits, true);
  assert.equal(check.fit, 22);
  assert.deepEqual(check.lines, [
    'Capacity: 20 learners × 1 GiB sandbox memory limit = 20.0 GiB; this machine has 24.0 GiB in all, 22.0 GiB available now.',
    '  Warm pool: 4 sandboxes kept booted ahead of the next learners (--warm-sandboxes).',
  ]);
});

test('capacity: a room that does not fit warns with how many fit and what to change', () => {
  const check = capacityCheck({ learners: 30, sandboxMemoryBytes: GIB, warmSandboxes: 4, meminfo: parseMeminfo(MEMINFO), provider: 'dind' });
  assert.equal(check.fits, false);
  assert.equal(check.fit, 22);
  assert.equal(
    check.lines[2],
    '  WARNING: only 22 of 30 sandboxes fit in the memory available, each at its limit. A sandbox idles at about 35 MiB, so the limit is the worst case, not what a room usually takes; for a room that fits at the limit, use --learners 22 or --sandbox-memory 750m. When memory runs short, the next learner waits in the queue.',
  );
  // Where even the smallest limit is too much for everyone, only fewer learners will do.
  const tight = capacityCheck({ learners: 200, sandboxMemoryBytes: 768 * 1024 ** 2, warmSandboxes: 4, meminfo: parseMeminfo(MEMINFO), provider: 'dind' });
  assert.match(tight.lines[0] ?? '', /^Capacity: 200 learners × 768 MiB sandbox memory limit = 150\.0 GiB;/);
  assert.match(tight.lines[2] ?? '', /only 29 of 200 sandboxes fit .* use --learners 29\. When memory/);
});

test('capacity: without /proc/meminfo, or on the host provider, nothing is claimed', () => {
  assert.deepEqual(capacityCheck({ learners: 1, sandboxMemoryBytes: GIB, warmSandboxes: 1, meminfo: null, provider: 'dind' }).lines, [
    "Capacity: 1 learner × 1 GiB sandbox memory limit = 1.0 GiB; this machine's memory could not be read (no /proc/meminfo), so it is not checked.",
    '  Warm pool: 1 sandbox kept booted ahead of the next learners (--warm-sandboxes).',
  ]);
  assert.deepEqual(capacityCheck({ learners: 3, sandboxMemoryBytes: GIB, warmSandboxes: 1, meminfo: parseMeminfo(MEMINFO), provider: 'host' }).lines, [
    "Capacity: 3 learners on the host provider share this machine's own Docker engine; no sandbox limits apply.",
  ]);
});

test('links: the join and board pages with their fragments, from the base given, in both locales', () => {
  assert.deepEqual(workshopLinks('https://lab.example.org/', { join: 'J'.repeat(32), facilitator: 'F'.repeat(32) }), {
    join: `https://lab.example.org/workshop/join/#join=${'J'.repeat(32)}`,
    joinEnglish: `https://lab.example.org/en/workshop/join/#join=${'J'.repeat(32)}`,
    board: `https://lab.example.org/workshop/board/#facilitator=${'F'.repeat(32)}`,
    boardEnglish: `https://lab.example.org/en/workshop/board/#facilitator=${'F'.repeat(32)}`,
  });
});

test('LAN addresses: non-internal IPv4 only, without container bridges', () => {
  const nic = (address: string, family: 'IPv4' | 'IPv6', internal = false) => ({ address, family, internal, netmask: '', mac: '', cidr: null }) as NetworkInterfaceInfo;
  assert.deepEqual(
    lanAddresses({
      lo: [nic('127.0.0.1', 'IPv4', true), nic('::1', 'IPv6', true)],
      eth0: [nic('192.168.1.20', 'IPv4'), nic('fe80::1', 'IPv6')],
      wlan0: [nic('10.0.0.5', 'IPv4')],
      docker0: [nic('172.17.0.1', 'IPv4')],
      'br-0123abcd': [nic('10.213.0.1', 'IPv4')],
    }),
    ['192.168.1.20', '10.0.0.5'],
  );
});

test('serving: loopback says so and shows the LAN and TLS flags', () => {
  assert.deepEqual(servingHint({ host: '127.0.0.1', port: 4321, origins: null, addresses: ['192.168.1.20'] }), [
    'Serving: this machine only (127.0.0.1:4321); learners on other machines cannot reach these links yet.',
    "  On the room's LAN: --host 0.0.0.0 --origins http://192.168.1.20:4321 (this machine's addresses: 192.168.1.20)",
    '  Behind a TLS proxy: --origins https://lab.example.org --hosts lab.example.org (the proxy forwards to 127.0.0.1:4321, WebSocket included)',
  ]);
  assert.equal(
    servingHint({ host: '0.0.0.0', port: 8080, origins: ['http://192.168.1.20:8080'], addresses: [] })[0],
    'Serving: on 0.0.0.0:8080, for pages from http://192.168.1.20:8080.',
  );
});

test('the start report: name and end, resumed count, links, capacity, serving, the record', () => {
  const text = startReport({
    name: 'Docker networking, room 3',
    endsAt: Date.UTC(2026, 11, 1, 17, 0),
    endedAt: null,
    resumed: true,
    learnerCount: 12,
    endedOthers: ['Room 2'],
    links: workshopLinks('http://127.0.0.1:4321', { join: 'J'.repeat(32), facilitator: 'F'.repeat(32) }),
    capacity: capacityCheck({ learners: 30, sandboxMemoryBytes: GIB, warmSandboxes: 4, meminfo: parseMeminfo(MEMINFO), provider: 'dind' }),
    serving: ['Serving: here.'],
    storeFile: '.lab/data/workshops.sqlite',
    timeZone: 'UTC',
  });
  const lines = text.split('\n');
  assert.equal(lines[1], 'Workshop "Docker networking, room 3" is open until 1 Dec 2026, 17:00 UTC; then it closes itself.');
  assert.equal(lines[2], '  Resumed: 12 learners and their progress, from the last start (sandboxes are new).');
  assert.equal(lines[3], '  Ended the earlier workshop "Room 2" (its record is kept).');
  assert.ok(lines.includes(`Learners join at:      http://127.0.0.1:4321/workshop/join/#join=${'J'.repeat(32)}`), text);
  assert.ok(lines.includes(`Facilitator's board:   http://127.0.0.1:4321/workshop/board/#facilitator=${'F'.repeat(32)}`), text);
  assert.ok(lines.some((l) => l.startsWith('  WARNING: only 22 of 30 sandboxes fit')), text);
  assert.ok(lines.includes('Serving: here.'));
  assert.ok(lines.includes('Record: .lab/data/workshops.sqlite; start again with the same --name to resume.'));

  const ended = startReport({
    name: 'Room 3',
    endsAt: Date.UTC(2026, 11, 1, 17, 0),
    endedAt: Date.UTC(2026, 11, 1, 17, 0),
    resumed: true,
    learnerCount: 1,
    endedOthers: [],
    links: workshopLinks('http://127.0.0.1:4321', { join: 'J'.repeat(32), facilitator: 'F'.repeat(32) }),
    capacity: capacityCheck({ learners: 1, sandboxMemoryBytes: GIB, warmSandboxes: 1, meminfo: null, provider: 'dind' }),
    serving: [],
    storeFile: 'x',
    timeZone: 'UTC',
  });
  assert.deepEqual(ended.split('\n').slice(1, 4), [
    'Workshop "Room 3" ended at 1 Dec 2026, 17:00 UTC. Its board and CSV export still work; learners cannot join.',
    '  For a new workshop, start with another --name.',
    '  Resumed: 1 learner and their progress, from the last start (sandboxes are new).',
  ]);
});
