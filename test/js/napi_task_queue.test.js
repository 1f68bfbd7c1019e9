'use strict';
// The signaling task queue on Node's JS thread
// (api/js/runtime/napi_task_queue.c), through its test addon
// (napi_task_queue_test_addon.c). Delays are a few milliseconds of real
// time: the queue runs on Node's real event loop.

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { loadTestAddon } = require('./support.js');

const addon = loadTestAddon('napi_task_queue_test_addon');
assert.equal(addon.createQueue(), 0);

// The queue keeps Node alive only while a keep-alive count is held; a test
// that waits for tasks holds one, as a peer connection would.
async function held(body) {
  addon.keepAlive(+1);
  try {
    return await body();
  } finally {
    addon.keepAlive(-1);
  }
}

// Posts a task; resolves with what it saw when it ran.
function run(delayMs = 0, body = () => {}) {
  return new Promise((resolve, reject) => {
    const err = addon.post((lateMs, wasCurrent) => {
      body();
      resolve({ lateMs, wasCurrent });
    }, delayMs);
    if (err !== 0) reject(new Error(`post: ${err}`));
  });
}

function postFromThreads(threads, perThread, delayUs) {
  return new Promise((resolve) => addon.postFromThreads(threads, perThread, delayUs, resolve));
}

test('the queue is current on the JS thread outside tasks, and inside them', async () => {
  assert.equal(addon.isCurrent(), true);
  const seen = await held(() => run());
  assert.equal(seen.wasCurrent, true);
});

test('runs tasks posted from the JS thread once each, in post order', async () => {
  const order = [];
  const runsBefore = addon.runCount();
  await held(async () => {
    const done = [];
    for (let i = 0; i < 100; i++) done.push(run(0, () => order.push(i)));
    await Promise.all(done);
  });
  assert.deepEqual(order, [...Array(100).keys()]);
  assert.equal(addon.runCount() - runsBefore, 100);
  assert.equal(addon.pendingCount(), 0);
});

test('posting never runs the task inline', async () => {
  let ran = false;
  await held(async () => {
    const done = run(0, () => { ran = true; });
    assert.equal(ran, false);
    await done;
  });
  assert.equal(ran, true);
});

test('microtasks queued by a task run before the next task', async () => {
  const order = [];
  await held(() => {
    addon.post(() => {
      order.push('task 1');
      Promise.resolve().then(() => order.push('microtask of task 1'));
      process.nextTick(() => order.push('nextTick of task 1'));
    });
    return run(0, () => order.push('task 2'));
  });
  assert.deepEqual(order, ['task 1', 'nextTick of task 1', 'microtask of task 1', 'task 2']);
});

test('a task posted while a task runs runs after the tasks already queued', async () => {
  const order = [];
  await held(() => new Promise((resolve) => {
    addon.post(() => {
      order.push('A');
      addon.post(() => { order.push('C'); resolve(); });
    });
    addon.post(() => order.push('B'));
  }));
  assert.deepEqual(order, ['A', 'B', 'C']);
});

test('runs 20000 tasks posted from 4 threads once each, in each thread\'s order', async () => {
  const runsBefore = addon.runCount();
  const destroysBefore = addon.destroyCount();
  const result = await postFromThreads(4, 5000, 0);
  assert.deepEqual(result, { ran: 20000, outOfOrder: 0, notCurrent: 0, postErrors: 0 });
  assert.equal(addon.runCount() - runsBefore, 20000);
  // The destroy of the last task runs right after the callback: wait for
  // one more task (itself destroyed before its promise reaction runs).
  await held(() => run());
  assert.equal(addon.destroyCount() - destroysBefore, 20000 + 1);
  assert.equal(addon.pendingCount(), 0);
});

test('tasks posted in one round of an event loop wake the JS thread once, when the round ends', async () => {
  // The loop's thread gives the JS thread 20 ms to run each task before it
  // posts the next: none runs before the round is over.
  const spaced = await new Promise((resolve) => {
    assert.equal(addon.postBurstFromEventLoop(5, 20, resolve), 0);
  });
  assert.deepEqual(spaced, { ran: 5, ranInRound: 0, outOfOrder: 0, postErrors: 0, wakes: 1 });
  const burst = await new Promise((resolve) => {
    assert.equal(addon.postBurstFromEventLoop(1000, 0, resolve), 0);
  });
  assert.deepEqual(burst, { ran: 1000, ranInRound: 0, outOfOrder: 0, postErrors: 0, wakes: 1 });
});

test('delayed tasks posted from 4 threads run in each thread\'s order', async () => {
  const result = await postFromThreads(4, 500, 2000);
  assert.deepEqual(result, { ran: 2000, outOfOrder: 0, notCurrent: 0, postErrors: 0 });
});

test('delayed tasks run no earlier than their deadline, in deadline order', async () => {
  // Deadlines are post time + delay: a slow post loop can reorder them
  // against the delays, so the order is checked against the deadlines.
  const ran = [];
  await held(() => Promise.all([30, 10, 20, 0, 10, 5].map((delay, index) => new Promise((resolve) => {
    addon.post((lateMs, wasCurrent, deadlineMs) => {
      ran.push({ index, lateMs, deadlineMs });
      resolve();
    }, delay);
  }))));
  assert.equal(ran.length, 6);
  for (const { index, lateMs } of ran) assert.ok(lateMs >= 0, `task ${index} ran ${-lateMs} ms early`);
  for (let i = 1; i < ran.length; i++) {
    const [a, b] = [ran[i - 1], ran[i]];
    assert.ok(a.deadlineMs < b.deadlineMs || (a.deadlineMs === b.deadlineMs && a.index < b.index),
              `task ${a.index} (deadline ${a.deadlineMs}) ran before task ${b.index} (${b.deadlineMs})`);
  }
});

test('a task cancelled before it is due never runs and is destroyed once', async () => {
  let ran = false;
  const destroysBefore = addon.destroyCount();
  const id = addon.postCancelable(() => { ran = true; }, 20);
  assert.ok(id > 0);
  assert.equal(addon.isPending(id), true);
  assert.equal(addon.pendingCount(), 1);
  assert.equal(addon.cancel(id), true);
  assert.equal(addon.isPending(id), false);
  assert.equal(addon.destroyCount() - destroysBefore, 1);
  assert.equal(addon.pendingCount(), 0, 'the queue forgets a cancelled task at once');
  assert.equal(addon.cancel(id), false, 'a second cancel finds nothing');
  // Past its deadline: it still has not run, and was not destroyed again.
  await held(() => run(40));
  assert.equal(ran, false);
  assert.equal(addon.destroyCount() - destroysBefore, 2, 'one for it, one for the task awaited');
});

test('cancelling the first of several delayed tasks leaves the others on time', async () => {
  const order = [];
  await held(async () => {
    const first = addon.postCancelable(() => order.push('cancelled'), 5);
    const later = run(15, () => order.push('later'));
    assert.equal(addon.cancel(first), true);
    await later;
  });
  assert.deepEqual(order, ['later']);
});

test('cancel returns false once the task has run', async () => {
  let id;
  await held(() => new Promise((resolve) => {
    id = addon.postCancelable(() => resolve(), 0);
  }));
  assert.equal(addon.isPending(id), false);
  assert.equal(addon.cancel(id), false);
});

test('a task that keeps posting itself lets the event loop run in between', async () => {
  const n = 20000;
  let seenByImmediate = -1;
  let seenByTimer = -1;
  const finished = new Promise((resolve) => addon.startChain(n, resolve));
  setImmediate(() => { seenByImmediate = addon.chainCount(); });
  setTimeout(() => { seenByTimer = addon.chainCount(); }, 1);
  assert.equal(await finished, n);
  assert.ok(seenByImmediate >= 0 && seenByImmediate < n,
            `setImmediate ran after ${seenByImmediate} of ${n} chained tasks`);
  assert.ok(seenByTimer >= 0 && seenByTimer < n,
            `a 1 ms timer ran after ${seenByTimer} of ${n} chained tasks`);
});

test('the keep-alive count goes up and down', () => {
  assert.equal(addon.keepAliveCount(), 0);
  assert.equal(addon.keepAlive(+1), 1);
  assert.equal(addon.keepAlive(+1), 2);
  assert.equal(addon.keepAlive(-1), 1);
  assert.equal(addon.keepAlive(-1), 0);
});
