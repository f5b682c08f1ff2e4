import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { outcomesCsv } from '../../runner/workshop/csv.ts';
import { openWorkshop } from '../../runner/workshop/open.ts';

const AT = Date.UTC(2026, 11, 1, 9, 30, 0);

test('one row per outcome under a header; exit codes as numbers, none as empty; ISO times', () => {
  assert.equal(
    outcomesCsv([
      { learnerId: 'AAAAAAAAAAAAAAAA', name: 'Ana', page: 'docker-network', block: '0123456789ab', outcome: 'failed', exitCode: 1, at: AT },
      { learnerId: 'AAAAAAAAAAAAAAAA', name: 'Ana', page: 'docker-network', block: '0123456789ab', outcome: 'stopped', exitCode: null, at: AT + 1500 },
    ]),
    '\ufefflearner_id,name,page,block,outcome,exit_code,at\n' +
      'AAAAAAAAAAAAAAAA,Ana,docker-network,0123456789ab,failed,1,2026-12-01T09:30:00.000Z\n' +
      'AAAAAAAAAAAAAAAA,Ana,docker-network,0123456789ab,stopped,,2026-12-01T09:30:01.500Z\n',
  );
});

test('names are as typed: markup stays text, commas and quotes are quoted, formulas get a leading quote', () => {
  const row = (name: string) => outcomesCsv([{ learnerId: 'AAAAAAAAAAAAAAAA', name, page: 'p', block: '0123456789ab', outcome: 'passed', exitCode: 0, at: AT }]).split('\n')[1];
  assert.equal(row('<img src=x onerror=alert(1)>'), 'AAAAAAAAAAAAAAAA,<img src=x onerror=alert(1)>,p,0123456789ab,passed,0,2026-12-01T09:30:00.000Z');
  assert.equal(row('Li, "Lee"'), 'AAAAAAAAAAAAAAAA,"Li, ""Lee""",p,0123456789ab,passed,0,2026-12-01T09:30:00.000Z');
  assert.equal(row('张伟'), 'AAAAAAAAAAAAAAAA,张伟,p,0123456789ab,passed,0,2026-12-01T09:30:00.000Z');
  for (const [typed, cell] of [
    ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
    ['+1', "'+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tTab', "'\tTab"],
  ]) {
    assert.equal(row(typed as string), `AAAAAAAAAAAAAAAA,${cell},p,0123456789ab,passed,0,2026-12-01T09:30:00.000Z`, typed);
  }
});

test("the record's export holds every attempt of every learner, oldest first, with the names they joined as", (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'workshop-csv-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  let now = AT;
  const { record } = openWorkshop({ dataDir, name: 'Room 3', capacity: 30, durationS: 3600, stuckAfterS: 600, now: () => now });
  t.after(() => record.dispose());
  const join1 = record.join(record.tokens().join, '=cmd|calc');
  const join2 = record.join(record.tokens().join, 'Bo');
  assert.ok(join1.ok && join2.ok);
  const a = join1.response.learner;
  const b = join2.response.learner;
  record.recordOutcome(a, 'docker-network', '0123456789ab', 'failed', 127);
  now += 1000;
  record.recordOutcome(b, 'redis-cluster', 'ba9876543210', 'passed', 0);
  now += 1000;
  record.recordOutcome(a, 'docker-network', '0123456789ab', 'passed', 0);
  assert.equal(
    record.exportCsv(),
    '\ufefflearner_id,name,page,block,outcome,exit_code,at\n' +
      `${a},'=cmd|calc,docker-network,0123456789ab,failed,127,2026-12-01T09:30:00.000Z\n` +
      `${b},Bo,redis-cluster,ba9876543210,passed,0,2026-12-01T09:30:01.000Z\n` +
      `${a},'=cmd|calc,docker-network,0123456789ab,passed,0,2026-12-01T09:30:02.000Z\n`,
  );
});
