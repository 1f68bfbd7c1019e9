'use strict';
// Out-of-memory paths of the signaling task queue (rtc_alloc_fail_nth).
// Its own file: each test file runs in its own process, so the queue can be
// created here under test, and the allocation counts are this file's alone.

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { loadTestAddon } = require('./support.js');

const addon = loadTestAddon('napi_task_queue_test_addon');
const RTC_OK = 0;
const RTC_ERR_NO_MEMORY = -1;

test('creating the queue fails cleanly when memory runs out', () => {
  const live = addon.liveAllocs();
  addon.allocFailNth(1);
  assert.equal(addon.createQueue(), RTC_ERR_NO_MEMORY);
  addon.allocClearFailure();
  assert.equal(addon.liveAllocs(), live, 'nothing leaked');
  assert.throws(() => addon.isCurrent(), /createQueue/, 'no queue was made');
  assert.equal(addon.createQueue(), RTC_OK);
  assert.equal(addon.isCurrent(), true);
});

test('a post that cannot allocate fails, drops the task once and never runs it', async () => {
  // The queue's heap is empty and has no storage yet: the first post
  // allocates it. Allocation 1 is the test addon's task record, 2 the heap.
  let ran = false;
  const destroys = addon.destroyCount();
  const live = addon.liveAllocs();
  addon.allocFailNth(2);
  assert.equal(addon.post(() => { ran = true; }), RTC_ERR_NO_MEMORY);
  addon.allocClearFailure();
  assert.equal(addon.destroyCount() - destroys, 1);
  assert.equal(addon.liveAllocs(), live);
  assert.equal(addon.pendingCount(), 0);

  // The queue still works afterwards.
  addon.keepAlive(+1);
  await new Promise((resolve) => addon.post(resolve));
  addon.keepAlive(-1);
  assert.equal(ran, false);
});
