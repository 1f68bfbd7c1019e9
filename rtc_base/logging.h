/*
 * Logging with levels, configured by the environment variable RTCBOX_LOG or
 * by rtc_log_configure().
 *
 *   RTC_LOG(INFO, "selected pair %s", name);
 *
 * Configuration grammar (RTCBOX_LOG):
 *   spec  = rule *("," rule)
 *   rule  = level / path "=" level
 *   level = "verbose" / "info" / "warning" / "error" / "none"
 * A bare level sets the default (initially "warning"). A path rule applies
 * to the source files whose path from the project root starts with it, the
 * longest match winning: RTCBOX_LOG=error,p2p=verbose,p2p/stun=info.
 *
 * Messages go to stderr, or to a sink the embedder installs. The sink is
 * called without any rtcbox lock held, on the thread that logged.
 *
 * Threads: any.
 */
#ifndef RTC_BASE_LOGGING_H_
#define RTC_BASE_LOGGING_H_

#include <stdbool.h>

#include "rtc_base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rtc_log_level {
  RTC_LOG_VERBOSE = 0,
  RTC_LOG_INFO = 1,
  RTC_LOG_WARNING = 2,
  RTC_LOG_ERROR = 3,
  RTC_LOG_NONE = 4,
} rtc_log_level;

/* "verbose", "info", "warning", "error", "none". */
const char* rtc_log_level_name(rtc_log_level level);

/* Replaces the configuration with `spec` (grammar above). On
 * RTC_ERR_SYNTAX the configuration is unchanged and `info` says why. */
rtc_error rtc_log_configure(const char* spec, rtc_error_info* info);

/* Applies RTCBOX_LOG. Runs once by itself before the first message; call it
 * again after changing the variable. An invalid value is reported on stderr
 * and ignored. */
void rtc_log_configure_from_env(void);

/* The part of a __FILE__ path that the rules match: the path from the
 * project root ("../../p2p/stun.c" -> "p2p/stun.c"). */
const char* rtc_log_source_path(const char* file);

bool rtc_log_is_enabled(rtc_log_level level, const char* file);

/* Receives each message, formatted, without a trailing newline. */
typedef void (*rtc_log_sink_fn)(void* user,
                                rtc_log_level level,
                                const char* file,
                                int line,
                                const char* message);

/* Installs a sink (NULL restores stderr). */
void rtc_log_set_sink(rtc_log_sink_fn sink, void* user);

void rtc_log_message(rtc_log_level level,
                     const char* file,
                     int line,
                     const char* fmt,
                     ...) __attribute__((format(printf, 4, 5)));

#define RTC_LOG(level, ...)                                              \
  do {                                                                   \
    if (rtc_log_is_enabled(RTC_LOG_##level, __FILE__))                   \
      rtc_log_message(RTC_LOG_##level, __FILE__, __LINE__, __VA_ARGS__); \
  } while (0)

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // RTC_BASE_LOGGING_H_
