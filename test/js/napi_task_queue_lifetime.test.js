'use strict';
// Keep-alive, exceptions and teardown of the signaling task queue: each
// test runs its own Node process (fixtures/queue_process.js) or worker
// thread (fixtures/queue_worker.js), whose env owns a queue.

const assert = require('node:assert/strict');
const { once } = require('node:events');
const path = require('node:path');
const { test } = require('node:test');
const { Worker } = require('node:worker_threads');
const { loadTestAddon, runNode } = require('./support.js');

const addon = loadTestAddon('napi_task_queue_test_addon');
const PROCESS = path.join(__dirname, 'fixtures', 'queue_process.js');
const WORKER = path.join(__dirname, 'fixtures', 'queue_worker.js');

function runProcess(mode) {
  return runNode([PROCESS, mode], { env: { RTCBOX_TEST_REPORT_AT_EXIT: '1' } });
}

test('node exits while only a delayed task is pending and no keep-alive is held; teardown drops the task', () => {
  const result = runProcess('delayed-only');
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, 'posted\n', 'the task (due in an hour) never ran');
  assert.ok(result.ms < 10000, `took ${result.ms} ms`);
  // Printed at exit, after Node tore down its main env: the task was
  // destroyed and the queue freed everything it allocated.
  assert.match(result.stderr, /at exit: destroyed=1 live=0\n/);
});

test('node stays alive while a keep-alive count is held, until the task that releases it ran', () => {
  const result = runProcess('held');
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, 'ran\n');
  assert.match(result.stderr, /at exit: destroyed=1 live=0\n/);
});

test('node stays alive for tasks posted from other threads while a keep-alive count is held', () => {
  const result = runProcess('held-by-threads');
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, 'ran 4000\n');
  assert.match(result.stderr, /at exit: destroyed=4000 live=0\n/);
});

test('an exception thrown by a task is reported as uncaught, and the next task runs', () => {
  const result = runProcess('throws');
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, 'caught boom\nnext task ran\n');
});

test('an exception thrown by a task that nobody handles ends the process like any uncaught exception', () => {
  const result = runProcess('throws-unhandled');
  assert.equal(result.status, 1);
  assert.match(result.stderr, /Error: boom/);
});

async function tornDownWorker(mode) {
  const destroys = addon.destroyCount();
  const live = addon.liveAllocs();
  const worker = new Worker(WORKER, { workerData: { mode } });
  const exited = once(worker, 'exit');
  const [{ posted, pending }] = await once(worker, 'message');
  if (mode === 'terminate') await worker.terminate();
  await exited;
  return { posted, pending, destroyed: addon.destroyCount() - destroys, leaked: addon.liveAllocs() - live };
}

test('a worker\'s exit drops the tasks pending on its queue: each destroyed once, nothing leaked', async () => {
  const { posted, pending, destroyed, leaked } = await tornDownWorker('exit');
  assert.equal(posted, 412);
  assert.ok(pending >= 411, `${pending} pending`);
  assert.equal(destroyed, posted);
  assert.equal(leaked, 0);
});

test('worker.terminate() drops the tasks pending on its queue: each destroyed once, nothing leaked', async () => {
  const { posted, destroyed, leaked } = await tornDownWorker('terminate');
  assert.equal(posted, 412);
  assert.equal(destroyed, posted);
  assert.equal(leaked, 0);
});
