/**
 * The batch the fast path writes its 200s through (src/http/answer-batch.ts): nothing is written
 * while the turn that made the answers runs; then every answer is, in the order made, each with
 * its own headers and body, and one whose write throws does not keep the others from theirs.
 */
import assert from 'node:assert/strict';
import type { OutgoingHttpHeader } from 'node:http';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { AnswerBatch, type Answerable } from '../../src/http/answer-batch.js';

/** A response that notes what is done to it in a log shared by all of them. */
function response(name: string, log: string[], fail?: Error): Answerable {
  const res = {
    writeHead(status: number, headers: OutgoingHttpHeader[]) {
      log.push(`${name} head ${status} ${headers.join(',')}`);
      if (fail) throw fail;
      return res;
    },
    end(body: string) {
      log.push(`${name} end ${body}`);
      return res;
    },
    destroy() {
      log.push(`${name} destroyed`);
      return res;
    },
  };
  return res as unknown as Answerable;
}

test('the answers made in one turn are written after it, all of them, in the order they were made', async () => {
  const log: string[] = [];
  const batch = new AnswerBatch((err) => log.push(`error ${String(err)}`));
  batch.add(response('a', log), ['content-length', 2], '{}');
  batch.add(response('b', log), ['x-one', '1', 'content-length', 3], '[1]');
  assert.deepEqual(log, [], 'nothing is written during the turn');

  await nextTurn();
  assert.deepEqual(log, ['a head 200 content-length,2', 'a end {}', 'b head 200 x-one,1,content-length,3', 'b end [1]']);

  // A later turn's answers are a batch of their own, written after that turn.
  log.length = 0;
  batch.add(response('c', log), [], 'c');
  assert.deepEqual(log, []);
  await nextTurn();
  assert.deepEqual(log, ['c head 200 ', 'c end c']);
});

test('an answer whose write throws is destroyed and reported, and the others are still written', async () => {
  const log: string[] = [];
  const batch = new AnswerBatch((err) => log.push(`error ${(err as Error).message}`));
  batch.add(response('a', log), [], 'a');
  batch.add(response('b', log, new Error('socket gone')), [], 'b');
  batch.add(response('c', log), [], 'c');
  await nextTurn();
  assert.deepEqual(log, ['a head 200 ', 'a end a', 'b head 200 ', 'b destroyed', 'error socket gone', 'c head 200 ', 'c end c']);
});
