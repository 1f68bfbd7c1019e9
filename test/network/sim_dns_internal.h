/*
 * The simulated network's DNS (sim_network.h, rtc_sim_network_add_dns_name):
 * a table of names and the hosts' factories' `resolve`.
 *
 * Threads: the one driving simulated time.
 */
#ifndef TEST_NETWORK_SIM_DNS_INTERNAL_H_
#define TEST_NETWORK_SIM_DNS_INTERNAL_H_

#include <stdint.h>

#include "p2p/socket_factory.h"
#include "rtc_base/error.h"
#include "rtc_base/socket_address.h"
#include "rtc_base/task_queue.h"

typedef struct rtc_sim_dns rtc_sim_dns;

#define RTC_SIM_DNS_DEFAULT_DELAY_US 5000

rtc_error rtc_sim_dns_create(rtc_sim_dns** out);
/* Every request must have been answered or cancelled. NULL is ignored. */
void rtc_sim_dns_destroy(rtc_sim_dns* dns);
rtc_error rtc_sim_dns_add(rtc_sim_dns* dns,
                          const char* name,
                          const rtc_socket_address* ip);
void rtc_sim_dns_set_delay(rtc_sim_dns* dns, int64_t delay_us);
uint64_t rtc_sim_dns_query_count(const rtc_sim_dns* dns);
/* A factory's `resolve` for a name the wrapper has checked. */
rtc_error rtc_sim_dns_resolve(rtc_sim_dns* dns,
                              rtc_task_queue* queue,
                              const char* host,
                              rtc_address_family family,
                              rtc_resolve_callback callback,
                              void* user,
                              rtc_resolve_request** out);

#endif  // TEST_NETWORK_SIM_DNS_INTERNAL_H_
