/*
 * The wire between two transports in a fuzz target (test/fuzzers): both on
 * one simulated queue; what one end sends waits, in order, until pumped to
 * the other. Shared by dtls_fuzzer and sctp_fuzzer.
 */
#ifndef TEST_FUZZERS_FUZZ_WIRE_H_
#define TEST_FUZZERS_FUZZ_WIRE_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtc_base/sim_time.h"
#include "rtc_base/task_queue.h"

/* Hands a datagram to end `to` (0 or 1), on the queue. */
typedef void (*rtc_fuzz_wire_receive)(void* user,
                                      int to,
                                      const uint8_t* data,
                                      size_t size);

typedef struct rtc_fuzz_datagram rtc_fuzz_datagram;

typedef struct rtc_fuzz_wire {
  rtc_sim_time* time;
  rtc_task_queue* queue;
  rtc_fuzz_wire_receive receive;
  void* user;
  rtc_fuzz_datagram* head;
  rtc_fuzz_datagram** tail;
} rtc_fuzz_wire;

void rtc_fuzz_wire_init(rtc_fuzz_wire* wire,
                        rtc_sim_time* time,
                        rtc_task_queue* queue,
                        rtc_fuzz_wire_receive receive,
                        void* user);
/* Queues a copy for end `to` (aborts without memory: a fuzz target). */
void rtc_fuzz_wire_push(rtc_fuzz_wire* wire,
                        int to,
                        const uint8_t* data,
                        size_t size);
/* Runs fn(arg) on the queue, now, and whatever it posts. */
void rtc_fuzz_wire_on_queue(rtc_fuzz_wire* wire, rtc_task_fn fn, void* arg);
/* Delivers until the wire is quiet (at most 64 rounds of echoes). */
void rtc_fuzz_wire_pump(rtc_fuzz_wire* wire);
/* Advances simulated time by `us`, pumping every 10 ms. */
void rtc_fuzz_wire_run_for(rtc_fuzz_wire* wire, int64_t us);
/* Forgets what is on the wire. */
void rtc_fuzz_wire_drop(rtc_fuzz_wire* wire);

#endif  // TEST_FUZZERS_FUZZ_WIRE_H_
