#include "rtc_base/logging.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rtc_base/mutex.h"

#define MAX_RULES 16
#define MAX_PATH_LEN 96

typedef struct log_rule {
  char path[MAX_PATH_LEN];
  size_t path_len;
  rtc_log_level level;
} log_rule;

typedef struct log_config {
  rtc_log_level default_level;
  log_rule rules[MAX_RULES];
  size_t rule_count;
} log_config;

static rtc_mutex g_mu = RTC_MUTEX_INIT;
static log_config g_config RTC_GUARDED_BY(g_mu) = {RTC_LOG_WARNING,
                                                   {{"", 0, 0}},
                                                   0};
static rtc_log_sink_fn g_sink RTC_GUARDED_BY(g_mu);
static void* g_sink_user RTC_GUARDED_BY(g_mu);
/* The lowest level any rule enables: messages below it are dropped without
 * taking the lock. */
static atomic_int g_min_level = RTC_LOG_WARNING;
static pthread_once_t g_env_once = PTHREAD_ONCE_INIT;

static const char* const kLevelNames[] = {"verbose", "info", "warning", "error",
                                          "none"};

const char* rtc_log_level_name(rtc_log_level level) {
  if ((int)level < 0 || level > RTC_LOG_NONE)
    return "unknown";
  return kLevelNames[level];
}

static bool parse_level(const char* s, size_t len, rtc_log_level* out) {
  for (int i = 0; i <= RTC_LOG_NONE; i++) {
    if (strlen(kLevelNames[i]) == len && strncmp(s, kLevelNames[i], len) == 0) {
      *out = (rtc_log_level)i;
      return true;
    }
  }
  return false;
}

static rtc_error parse_spec(const char* spec,
                            log_config* cfg,
                            rtc_error_info* info) {
  cfg->default_level = RTC_LOG_WARNING;
  cfg->rule_count = 0;
  const char* p = spec;
  while (*p) {
    const char* end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    const char* eq = memchr(p, '=', len);
    rtc_log_level level;
    if (!eq) {
      if (!parse_level(p, len, &level))
        return rtc_error_set(info, RTC_ERR_SYNTAX, "unknown log level '%.*s'",
                             (int)len, p);
      cfg->default_level = level;
    } else {
      size_t path_len = (size_t)(eq - p);
      if (path_len == 0 || path_len >= MAX_PATH_LEN)
        return rtc_error_set(info, RTC_ERR_SYNTAX, "bad path in '%.*s'",
                             (int)len, p);
      if (!parse_level(eq + 1, len - path_len - 1, &level))
        return rtc_error_set(info, RTC_ERR_SYNTAX,
                             "unknown log level in '%.*s'", (int)len, p);
      if (cfg->rule_count == MAX_RULES)
        return rtc_error_set(info, RTC_ERR_SYNTAX, "more than %d rules",
                             MAX_RULES);
      log_rule* rule = &cfg->rules[cfg->rule_count++];
      memcpy(rule->path, p, path_len);
      rule->path[path_len] = '\0';
      rule->path_len = path_len;
      rule->level = level;
    }
    if (!end)
      break;
    p = end + 1;
  }
  return RTC_OK;
}

static rtc_log_level min_level(const log_config* cfg) {
  rtc_log_level min = cfg->default_level;
  for (size_t i = 0; i < cfg->rule_count; i++) {
    if (cfg->rules[i].level < min)
      min = cfg->rules[i].level;
  }
  return min;
}

rtc_error rtc_log_configure(const char* spec, rtc_error_info* info) {
  log_config cfg;
  rtc_error err = parse_spec(spec, &cfg, info);
  if (err != RTC_OK)
    return err;
  rtc_mutex_lock(&g_mu);
  g_config = cfg;
  atomic_store(&g_min_level, (int)min_level(&cfg));
  rtc_mutex_unlock(&g_mu);
  return RTC_OK;
}

void rtc_log_configure_from_env(void) {
  const char* spec = getenv("RTCBOX_LOG");
  rtc_error_info info;
  rtc_error_info_init(&info);
  if (rtc_log_configure(spec ? spec : "", &info) != RTC_OK)
    fprintf(stderr, "rtcbox: ignoring RTCBOX_LOG: %s\n", info.message);
}

static void configure_from_env_once(void) {
  rtc_log_configure_from_env();
}

const char* rtc_log_source_path(const char* file) {
  while (strncmp(file, "../", 3) == 0)
    file += 3;
  while (strncmp(file, "./", 2) == 0)
    file += 2;
  return file;
}

bool rtc_log_is_enabled(rtc_log_level level, const char* file) {
  pthread_once(&g_env_once, configure_from_env_once);
  if (level >= RTC_LOG_NONE || (int)level < atomic_load(&g_min_level))
    return false;
  const char* path = rtc_log_source_path(file);
  rtc_mutex_lock(&g_mu);
  rtc_log_level threshold = g_config.default_level;
  size_t best = 0;
  for (size_t i = 0; i < g_config.rule_count; i++) {
    const log_rule* rule = &g_config.rules[i];
    if (rule->path_len > best &&
        strncmp(path, rule->path, rule->path_len) == 0) {
      best = rule->path_len;
      threshold = rule->level;
    }
  }
  rtc_mutex_unlock(&g_mu);
  return level >= threshold;
}

void rtc_log_set_sink(rtc_log_sink_fn sink, void* user) {
  rtc_mutex_lock(&g_mu);
  g_sink = sink;
  g_sink_user = user;
  rtc_mutex_unlock(&g_mu);
}

void rtc_log_message(rtc_log_level level,
                     const char* file,
                     int line,
                     const char* fmt,
                     ...) {
  char message[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(message, sizeof(message), fmt, ap);
  va_end(ap);
  if (n >= (int)sizeof(message))
    memcpy(message + sizeof(message) - 4, "...", 4);
  const char* path = rtc_log_source_path(file);

  rtc_mutex_lock(&g_mu);
  rtc_log_sink_fn sink = g_sink;
  void* user = g_sink_user;
  rtc_mutex_unlock(&g_mu);

  if (sink) {
    sink(user, level, path, line, message);
    return;
  }
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  fprintf(stderr, "[%5lld.%06ld %d] %c %s:%d %s\n", (long long)ts.tv_sec,
          ts.tv_nsec / 1000, rtc_current_thread_id(),
          "VIWE?"[level < RTC_LOG_NONE ? level : RTC_LOG_NONE], path, line,
          message);
}
