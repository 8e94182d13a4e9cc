import { createHook } from 'node:async_hooks';

/** One of Node's own tick objects, held for the life of the process (see below). */
let kept: object | undefined;

/**
 * Keeps the hidden class of Node's tick objects alive, so that `process.nextTick` stays fast.
 *
 * Why: `process.nextTick` (Node's task_queues) builds each tick object from a literal whose first
 * two keys are computed (its async-id symbols). V8 optimizes such a key's definition only while
 * the site's feedback has seen a single hidden class, and goes megamorphic, for good, on a second.
 * Tick objects live for one turn, and that class is held only weakly otherwise: a full GC that
 * falls between turns frees it, the next tick object gets a new one, and from then on every
 * definition goes through V8's runtime. Node's HTTP server calls nextTick about five times a
 * request, so a server process that fell into this needed 23 to 27 µs of CPU a read instead of
 * 20 (bench/README.md), for as long as it ran; some processes did, some did not. Holding one tick
 * object keeps its class, and the chain of classes it was built through, alive.
 *
 * How: an async hook is the public way to see a tick object (its init gets it as the resource).
 * It is enabled for one nextTick, here, and disabled at once: no hook runs while serving. Returns
 * the object held; undefined on a Node that would not show one (the server runs as before).
 */
export function keepTickObjectMap(): object | undefined {
  if (kept === undefined) {
    const hook = createHook({
      init(_asyncId, type, _triggerAsyncId, resource) {
        if (type === 'TickObject') kept ??= resource;
      },
    });
    hook.enable();
    try {
      process.nextTick(() => {});
    } finally {
      hook.disable();
    }
  }
  return kept;
}
