/**
 * keepTickObjectMap (src/tick-object-map.ts): one of Node's tick objects stays alive across full
 * GCs, and it is of the hidden class new tick objects get. Run in a child process with
 * `--expose-gc` (to force the GC that would free the class) and `--allow-natives-syntax` (to
 * compare hidden classes); without the keeper, the same probe's tick object is collected.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { tempDir } from './helpers/test-server.js';

const MODULE = fileURLToPath(new URL('../src/tick-object-map.ts', import.meta.url));
const tmp = tempDir();
after(tmp.cleanup);

/** The probe: takes a tick object (the keeper's, or one of its own), frees what a full GC between turns frees, and reports. */
const PROBE = `
import { createHook } from 'node:async_hooks';
import { keepTickObjectMap } from ${JSON.stringify(MODULE)};
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)');
const turn = () => new Promise((resolve) => setImmediate(resolve));
function freshTickObject() {
  let fresh;
  const hook = createHook({ init(_id, type, _trigger, resource) { if (type === 'TickObject') fresh ??= resource; } }).enable();
  process.nextTick(() => {});
  hook.disable();
  return fresh;
}
const keep = process.argv[2] === 'keep';
// Only a WeakRef here: whatever keeps the object alive is not this script.
const ref = new WeakRef(keep ? keepTickObjectMap() : freshTickObject());
for (let i = 0; i < 1000; i++) process.nextTick(() => {});
await turn();
globalThis.gc();
globalThis.gc();
await turn();
const held = ref.deref();
const fresh = freshTickObject();
console.log(JSON.stringify({
  held: held !== undefined,
  tickObject: typeof fresh?.callback === 'function',
  sameClass: held !== undefined && haveSameMap(held, fresh),
  sameObject: keep ? keepTickObjectMap() === held : null,
}));
`;

function probe(mode: 'keep' | 'none'): { held: boolean; tickObject: boolean; sameClass: boolean; sameObject: boolean | null } {
  const file = join(tmp.dir, 'probe.mjs');
  writeFileSync(file, PROBE);
  const r = spawnSync(process.execPath, ['--expose-gc', '--allow-natives-syntax', '--import', 'tsx', file, mode], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as ReturnType<typeof probe>;
}

test('the tick object kept survives full GCs between turns, and is of the class new tick objects get', () => {
  assert.deepEqual(probe('keep'), { held: true, tickObject: true, sameClass: true, sameObject: true });
});

test('without the keeper, the same probe sees its tick object collected (what the keeper prevents)', () => {
  assert.deepEqual(probe('none'), { held: false, tickObject: true, sameClass: false, sameObject: null });
});
