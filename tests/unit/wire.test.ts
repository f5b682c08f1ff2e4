import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CLOSE_FOR_ERROR,
  CloseCode,
  closeCodeFor,
  decodeClientMessage,
  decodeJoinRequest,
  decodeServerMessage,
  encode,
  encodeOutputFrame,
  errorCode,
  MAX_CLIENT_FRAME_BYTES,
  OUTPUT_HEADER_BYTES,
  outputFramePayload,
  type DecodeErrorCode,
} from '../../src/protocol/wire.ts';

const hello = { type: 'hello', v: 1, terminal: 'main', cols: 80, rows: 24 };

function codeOf(frame: string | Uint8Array): DecodeErrorCode | 'ok' {
  const decoded = decodeClientMessage(frame);
  return decoded.ok ? 'ok' : decoded.code;
}

test('valid client messages decode to themselves', () => {
  const messages = [
    hello,
    { ...hello, sessionId: 'a'.repeat(24), lastSeq: 1234 },
    { type: 'input', data: 'ls\r' },
    { type: 'resize', cols: 120, rows: 40 },
    { type: 'ack', upTo: 5000 },
    { type: 'reset' },
  ];
  for (const message of messages) {
    assert.deepEqual(decodeClientMessage(JSON.stringify(message)), { ok: true, message });
  }
});

test('every bad client frame gets its exact error code', () => {
  const cases: [string, string | Uint8Array, DecodeErrorCode][] = [
    ['binary frame', new Uint8Array([1, 2, 3]), 'not-text'],
    ['binary frame over the cap', new Uint8Array(MAX_CLIENT_FRAME_BYTES + 1), 'too-large'],
    ['text over the cap', JSON.stringify({ type: 'input', data: 'x'.repeat(MAX_CLIENT_FRAME_BYTES) }), 'too-large'],
    ['multi-byte text over the cap', JSON.stringify({ type: 'input', data: '网'.repeat(MAX_CLIENT_FRAME_BYTES / 3) }), 'too-large'],
    ['four-byte characters over the cap', JSON.stringify({ type: 'input', data: '😀'.repeat(MAX_CLIENT_FRAME_BYTES / 4) }), 'too-large'],
    ['not JSON', '{"type":', 'not-json'],
    ['empty frame', '', 'not-json'],
    ['JSON array', '[1,2]', 'unknown-type'],
    ['JSON null', 'null', 'unknown-type'],
    ['JSON string', '"hello"', 'unknown-type'],
    ['no type', '{"data":"x"}', 'unknown-type'],
    ['unknown type', '{"type":"exec","cmd":"rm -rf /"}', 'unknown-type'],
    ['type not a string', '{"type":7}', 'unknown-type'],
    ['server kind sent by a client', JSON.stringify({ type: 'output', seq: 0, data: 'x' }), 'unknown-type'],
    ['prototype key as type', '{"type":"__proto__"}', 'unknown-type'],
    ['input with a number', '{"type":"input","data":5}', 'invalid-fields'],
    ['empty input', '{"type":"input","data":""}', 'invalid-fields'],
    ['extra field', '{"type":"reset","now":true}', 'invalid-fields'],
    ['hello of another version', JSON.stringify({ ...hello, v: 2 }), 'invalid-fields'],
    ['hello without size', '{"type":"hello","v":1,"terminal":"main"}', 'invalid-fields'],
    ['hello with a path as session id', JSON.stringify({ ...hello, sessionId: '../../etc/passwd/aaaaaaaaaaaa' }), 'invalid-fields'],
    ['hello with NUL in session id', JSON.stringify({ ...hello, sessionId: 'a'.repeat(23) + '\u0000' }), 'invalid-fields'],
    ['hello with a bad terminal name', JSON.stringify({ ...hello, terminal: '../x' }), 'invalid-fields'],
    ['negative lastSeq', JSON.stringify({ ...hello, lastSeq: -1 }), 'invalid-fields'],
    ['resize 0', '{"type":"resize","cols":0,"rows":24}', 'invalid-fields'],
    ['resize -1', '{"type":"resize","cols":-1,"rows":24}', 'invalid-fields'],
    ['resize 65536', '{"type":"resize","cols":65536,"rows":24}', 'invalid-fields'],
    ['resize fraction', '{"type":"resize","cols":80.5,"rows":24}', 'invalid-fields'],
    ['resize string', '{"type":"resize","cols":"80","rows":24}', 'invalid-fields'],
    ['resize NaN (null in JSON)', '{"type":"resize","cols":null,"rows":24}', 'invalid-fields'],
    ['ack negative', '{"type":"ack","upTo":-5}', 'invalid-fields'],
    ['ack fraction', '{"type":"ack","upTo":1.5}', 'invalid-fields'],
  ];
  for (const [what, frame, code] of cases) {
    assert.equal(codeOf(frame), code, what);
  }
});

test('an invalid-fields error names the field', () => {
  const decoded = decodeClientMessage('{"type":"resize","cols":"80","rows":24}');
  assert.equal(decoded.ok, false);
  assert.match(decoded.ok ? '' : decoded.detail, /^cols: /);
});

test('server messages round-trip through encode and decode', () => {
  const message = { type: 'status', stage: 'creating', detail: 'Creating your sandbox' } as const;
  assert.deepEqual(decodeServerMessage(encode(message)), { ok: true, message });
  assert.equal(decodeServerMessage('{"type":"hello"}').ok, false);
  assert.equal(codeOfServer(JSON.stringify({ type: 'output', seq: 0, data: 'x' })), 'unknown-type', 'output is never JSON');
});

function codeOfServer(frame: string | Uint8Array): string {
  const decoded = decodeServerMessage(frame);
  return decoded.ok ? 'ok' : decoded.code;
}

test('an output frame is an 8-byte big-endian offset and the bytes, untouched', () => {
  const data = new TextEncoder().encode('\u001b[1mhi\u001b[0m 你好');
  const seq = 2 ** 40 + 7;
  const frame = encodeOutputFrame(seq, [data.subarray(0, 5), data.subarray(5)]);
  assert.equal(OUTPUT_HEADER_BYTES, 8);
  assert.deepEqual([...frame.subarray(0, 8)], [0, 0, 1, 0, 0, 0, 0, 7]);
  assert.deepEqual(outputFramePayload(frame), data);
  const decoded = decodeServerMessage(frame);
  assert.ok(decoded.ok);
  assert.deepEqual(decoded.message, { type: 'output', seq, data });
  // As the browser hands it over (an ArrayBuffer), and as ws does (a Buffer, a view into a larger pool).
  assert.deepEqual(decodeServerMessage(frame.slice().buffer), { ok: true, message: { type: 'output', seq, data } });
  const pooled = Buffer.concat([Buffer.from('junk'), frame]).subarray(4);
  assert.deepEqual(decodeServerMessage(pooled), { ok: true, message: { type: 'output', seq, data: pooled.subarray(8) } });
  assert.deepEqual(decodeServerMessage(encodeOutputFrame(Number.MAX_SAFE_INTEGER, [])), { ok: true, message: { type: 'output', seq: Number.MAX_SAFE_INTEGER, data: new Uint8Array() } });
});

test('bad output frames get their own code, and offsets outside the safe range are refused', () => {
  assert.equal(codeOfServer(new Uint8Array([0, 0, 0])), 'bad-output-frame', 'shorter than the header');
  assert.equal(codeOfServer(new Uint8Array([0, 0x20, 0, 0, 0, 0, 0, 0])), 'bad-output-frame', '2^53: beyond a safe integer');
  assert.throws(() => encodeOutputFrame(-1, []), RangeError);
  assert.throws(() => encodeOutputFrame(2 ** 53, []), RangeError);
  assert.throws(() => encodeOutputFrame(1.5, []), RangeError);
  assert.equal(codeOf(encodeOutputFrame(0, [new Uint8Array([1])])), 'not-text', 'an output frame sent by a client is still refused');
});

test('the out-of-sequence close code is this protocol\'s own, apart from the runner\'s error codes', () => {
  assert.equal(CloseCode.outputOutOfSequence, 4416);
  assert.ok(!Object.values(CLOSE_FOR_ERROR).includes(CloseCode.outputOutOfSequence as never), 'only a client closes with it');
  assert.equal(new Set(Object.values(CloseCode)).size, Object.values(CloseCode).length, 'every close code is distinct');
});

test('multi-byte frames under the cap are measured in UTF-8 bytes and let through', () => {
  // 21 800 × 3 bytes plus the envelope: under 64 KiB in UTF-8, though over a third of it in characters.
  assert.equal(codeOf(JSON.stringify({ type: 'input', data: '网'.repeat(21_800) })), 'ok');
  assert.equal(codeOf(JSON.stringify({ type: 'input', data: 'é'.repeat(32_000) })), 'ok');
  assert.equal(codeOf(JSON.stringify({ type: 'input', data: 'é'.repeat(32_800) })), 'too-large', '2 bytes each');
});

test('each error closes the socket with the code the README documents for it', () => {
  const documented = {
    'bad-message': 4400,
    'handshake-required': 4400,
    'terminal-limit': 4400,
    'session-unknown': 4404,
    'not-found': 4404,
    'workshop-ended': 4410,
    'input-overflow': 4413,
    'sandbox-failed': 4500,
    internal: 4500,
    'engine-unavailable': 4502,
    capacity: 4503,
  };
  assert.deepEqual(Object.fromEntries(errorCode.options.map((code) => [code, closeCodeFor(code)])), documented);
});

test('a join request is JSON with a token and a name, and nothing else', () => {
  const good = decodeJoinRequest(JSON.stringify({ join: 'A'.repeat(32), name: 'Ada' }));
  assert.deepEqual(good, { ok: true, message: { join: 'A'.repeat(32), name: 'Ada' } });
  const notJson = decodeJoinRequest('{"join":');
  assert.equal(notJson.ok ? null : notJson.code, 'not-json');
  const extra = decodeJoinRequest(JSON.stringify({ join: 'A'.repeat(32), name: 'Ada', admin: true }));
  assert.deepEqual(extra.ok ? null : [extra.code, extra.detail.startsWith('body:')], ['invalid-fields', true]);
  const shortToken = decodeJoinRequest(JSON.stringify({ join: 'short', name: 'Ada' }));
  assert.deepEqual(shortToken.ok ? null : [shortToken.code, shortToken.detail.split(':')[0]], ['invalid-fields', 'join']);
});
