#include "rtc_base/error.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

typedef struct error_entry {
  int value;
  const char* name;
  rtc_js_error_kind kind;
  const char* js_name;
  const char* detail;
  const char* description;
} error_entry;

static const error_entry kErrors[] = {
#define RTC_ERROR_TABLE_ENTRY(id, value, kind, js_name, detail, desc) \
  {value, #id, kind, js_name, detail, desc},
    RTC_ERROR_LIST(RTC_ERROR_TABLE_ENTRY)
#undef RTC_ERROR_TABLE_ENTRY
};

static const error_entry* find(int err) {
  for (size_t i = 0; i < sizeof(kErrors) / sizeof(kErrors[0]); i++) {
    if (kErrors[i].value == err)
      return &kErrors[i];
  }
  return NULL;
}

const char* rtc_error_name(rtc_error err) {
  const error_entry* e = find(err);
  return e ? e->name : "RTC_ERR_UNKNOWN";
}

const char* rtc_error_description(rtc_error err) {
  const error_entry* e = find(err);
  return e ? e->description : "unknown error";
}

rtc_js_error_kind rtc_error_js_kind(rtc_error err) {
  const error_entry* e = find(err);
  return e ? e->kind : RTC_JS_DOMEXCEPTION;
}

const char* rtc_error_js_name(rtc_error err) {
  const error_entry* e = find(err);
  return e ? e->js_name : "OperationError";
}

const char* rtc_error_detail_type(rtc_error err) {
  const error_entry* e = find(err);
  return e ? e->detail : NULL;
}

int rtc_error_is_known(int err) {
  return find(err) != NULL;
}

void rtc_error_info_init(rtc_error_info* info) {
  memset(info, 0, sizeof(*info));
  info->code = RTC_OK;
  info->sctp_cause_code = -1;
  info->received_alert = -1;
  info->sent_alert = -1;
}

rtc_error rtc_error_set(rtc_error_info* info,
                        rtc_error code,
                        const char* fmt,
                        ...) {
  if (!info)
    return code;
  info->code = code;
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(info->message, sizeof(info->message), fmt, ap);
    va_end(ap);
  } else {
    snprintf(info->message, sizeof(info->message), "%s",
             rtc_error_description(code));
  }
  return code;
}
