/*
 * The wire between two transports in a fuzz target (see fuzz_wire.h).
 */
#include "test/fuzzers/fuzz_wire.h"

#include <string.h>

#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"

struct rtc_fuzz_datagram {
  rtc_fuzz_datagram* next;
  int to;
  size_t size;
  uint8_t data[];
};

void rtc_fuzz_wire_init(rtc_fuzz_wire* wire,
                        rtc_sim_time* time,
                        rtc_task_queue* queue,
                        rtc_fuzz_wire_receive receive,
                        void* user) {
  wire->time = time;
  wire->queue = queue;
  wire->receive = receive;
  wire->user = user;
  wire->head = NULL;
  wire->tail = &wire->head;
}

void rtc_fuzz_wire_push(rtc_fuzz_wire* wire,
                        int to,
                        const uint8_t* data,
                        size_t size) {
  rtc_fuzz_datagram* d = rtc_malloc(sizeof(*d) + size);
  RTC_CHECK(d);
  d->next = NULL;
  d->to = to;
  d->size = size;
  memcpy(d->data, data, size);
  *wire->tail = d;
  wire->tail = &d->next;
}

void rtc_fuzz_wire_on_queue(rtc_fuzz_wire* wire, rtc_task_fn fn, void* arg) {
  RTC_CHECK(rtc_task_queue_post(wire->queue, (rtc_task){fn, NULL, arg}) ==
            RTC_OK);
  rtc_sim_time_run_until_idle(wire->time);
}

static void deliver_queued(void* arg) {
  rtc_fuzz_wire* wire = arg;
  rtc_fuzz_datagram* list = wire->head;
  wire->head = NULL;
  wire->tail = &wire->head;
  while (list) {
    rtc_fuzz_datagram* d = list;
    list = d->next;
    wire->receive(wire->user, d->to, d->data, d->size);
    rtc_free(d);
  }
}

void rtc_fuzz_wire_pump(rtc_fuzz_wire* wire) {
  for (int i = 0; i < 64 && wire->head; i++)
    rtc_fuzz_wire_on_queue(wire, deliver_queued, wire);
}

void rtc_fuzz_wire_run_for(rtc_fuzz_wire* wire, int64_t us) {
  for (int64_t t = 0; t < us; t += 10 * RTC_US_PER_MS) {
    rtc_fuzz_wire_pump(wire);
    rtc_sim_time_advance_us(wire->time, 10 * RTC_US_PER_MS);
  }
  rtc_fuzz_wire_pump(wire);
}

void rtc_fuzz_wire_drop(rtc_fuzz_wire* wire) {
  while (wire->head) {
    rtc_fuzz_datagram* d = wire->head;
    wire->head = d->next;
    rtc_free(d);
  }
  wire->tail = &wire->head;
}
