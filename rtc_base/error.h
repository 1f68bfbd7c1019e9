/*
 * Errors. Fallible functions return rtc_error: RTC_OK (0) or a negative
 * code. RTC_ERROR_LIST is the one table of every code: its identifier,
 * value, the kind of JavaScript error the bindings throw for it, that
 * error's name, the RTCErrorDetailType when the kind is RTCError, and a
 * description.
 *
 * JS kinds:
 *   RTC_JS_NONE            not an error (RTC_OK)
 *   RTC_JS_DOMEXCEPTION    new DOMException(message, js_name)
 *   RTC_JS_TYPE_ERROR      new TypeError(message)
 *   RTC_JS_RANGE_ERROR     new RangeError(message)
 *   RTC_JS_RTC_ERROR       new RTCError({errorDetail: detail, ...}, message);
 *                          its name is "OperationError" (webrtc-pc §RTCError)
 *   RTC_JS_OVERCONSTRAINED new OverconstrainedError(constraint, message)
 *
 * Details travel in a caller-owned rtc_error_info (never in a global).
 */
#ifndef RTC_BASE_ERROR_H_
#define RTC_BASE_ERROR_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rtc_js_error_kind {
  RTC_JS_NONE = 0,
  RTC_JS_DOMEXCEPTION,
  RTC_JS_TYPE_ERROR,
  RTC_JS_RANGE_ERROR,
  RTC_JS_RTC_ERROR,
  RTC_JS_OVERCONSTRAINED,
} rtc_js_error_kind;

/* X(identifier, value, js_kind, js_name, rtc_error_detail, description) */
#define RTC_ERROR_LIST(X)                                                      \
  X(RTC_OK, 0, RTC_JS_NONE, NULL, NULL, "success")                             \
  /* Generic failures */                                                       \
  X(RTC_ERR_NO_MEMORY, -1, RTC_JS_DOMEXCEPTION, "OperationError", NULL,        \
    "out of memory")                                                           \
  X(RTC_ERR_INVALID_ARGUMENT, -2, RTC_JS_TYPE_ERROR, "TypeError", NULL,        \
    "invalid argument")                                                        \
  X(RTC_ERR_OUT_OF_RANGE, -3, RTC_JS_RANGE_ERROR, "RangeError", NULL,          \
    "value out of range")                                                      \
  X(RTC_ERR_OPERATION, -4, RTC_JS_DOMEXCEPTION, "OperationError", NULL,        \
    "operation failed")                                                        \
  X(RTC_ERR_INTERNAL, -5, RTC_JS_DOMEXCEPTION, "OperationError", NULL,         \
    "internal error")                                                          \
  /* DOMException names used by webrtc-pc and mediacapture */                  \
  X(RTC_ERR_INVALID_STATE, -10, RTC_JS_DOMEXCEPTION, "InvalidStateError",      \
    NULL, "invalid state")                                                     \
  X(RTC_ERR_INVALID_ACCESS, -11, RTC_JS_DOMEXCEPTION, "InvalidAccessError",    \
    NULL, "invalid access")                                                    \
  X(RTC_ERR_INVALID_MODIFICATION, -12, RTC_JS_DOMEXCEPTION,                    \
    "InvalidModificationError", NULL, "invalid modification")                  \
  X(RTC_ERR_NOT_SUPPORTED, -13, RTC_JS_DOMEXCEPTION, "NotSupportedError",      \
    NULL, "not supported")                                                     \
  X(RTC_ERR_SYNTAX, -14, RTC_JS_DOMEXCEPTION, "SyntaxError", NULL,             \
    "syntax error")                                                            \
  X(RTC_ERR_NOT_FOUND, -15, RTC_JS_DOMEXCEPTION, "NotFoundError", NULL,        \
    "not found")                                                               \
  X(RTC_ERR_NOT_ALLOWED, -16, RTC_JS_DOMEXCEPTION, "NotAllowedError", NULL,    \
    "not allowed")                                                             \
  X(RTC_ERR_NOT_READABLE, -17, RTC_JS_DOMEXCEPTION, "NotReadableError", NULL,  \
    "device not readable")                                                     \
  X(RTC_ERR_ABORT, -18, RTC_JS_DOMEXCEPTION, "AbortError", NULL, "aborted")    \
  X(RTC_ERR_TIMEOUT, -19, RTC_JS_DOMEXCEPTION, "TimeoutError", NULL,           \
    "timed out")                                                               \
  X(RTC_ERR_NETWORK, -20, RTC_JS_DOMEXCEPTION, "NetworkError", NULL,           \
    "network error")                                                           \
  X(RTC_ERR_SECURITY, -21, RTC_JS_DOMEXCEPTION, "SecurityError", NULL,         \
    "security error")                                                          \
  X(RTC_ERR_TYPE_MISMATCH, -22, RTC_JS_DOMEXCEPTION, "TypeMismatchError",      \
    NULL, "type mismatch")                                                     \
  X(RTC_ERR_DATA, -23, RTC_JS_DOMEXCEPTION, "DataError", NULL, "data error")   \
  X(RTC_ERR_INVALID_CHARACTER, -24, RTC_JS_DOMEXCEPTION,                       \
    "InvalidCharacterError", NULL, "invalid character")                        \
  X(RTC_ERR_OVERCONSTRAINED, -25, RTC_JS_OVERCONSTRAINED,                      \
    "OverconstrainedError", NULL, "constraints cannot be satisfied")           \
  /* RTCError, with its RTCErrorDetailType (webrtc-pc §RTCErrorDetailType) */ \
  X(RTC_ERR_DATA_CHANNEL_FAILURE, -40, RTC_JS_RTC_ERROR, "OperationError",     \
    "data-channel-failure", "data channel failure")                            \
  X(RTC_ERR_DTLS_FAILURE, -41, RTC_JS_RTC_ERROR, "OperationError",             \
    "dtls-failure", "DTLS failure")                                            \
  X(RTC_ERR_FINGERPRINT_FAILURE, -42, RTC_JS_RTC_ERROR, "OperationError",      \
    "fingerprint-failure", "certificate does not match the fingerprint")       \
  X(RTC_ERR_SCTP_FAILURE, -43, RTC_JS_RTC_ERROR, "OperationError",             \
    "sctp-failure", "SCTP failure")                                            \
  X(RTC_ERR_SDP_SYNTAX, -44, RTC_JS_RTC_ERROR, "OperationError",               \
    "sdp-syntax-error", "SDP syntax error")                                    \
  X(RTC_ERR_HARDWARE_ENCODER_NOT_AVAILABLE, -45, RTC_JS_RTC_ERROR,             \
    "OperationError", "hardware-encoder-not-available",                        \
    "hardware encoder not available")                                          \
  X(RTC_ERR_HARDWARE_ENCODER_ERROR, -46, RTC_JS_RTC_ERROR, "OperationError",   \
    "hardware-encoder-error", "hardware encoder error")                        \
  /* Internal conditions; never meant to reach JavaScript as such */           \
  X(RTC_ERR_WOULD_BLOCK, -60, RTC_JS_DOMEXCEPTION, "OperationError", NULL,     \
    "operation would block")                                                   \
  X(RTC_ERR_IO, -61, RTC_JS_DOMEXCEPTION, "NetworkError", NULL, "I/O error")   \
  X(RTC_ERR_CLOSED, -62, RTC_JS_DOMEXCEPTION, "InvalidStateError", NULL,       \
    "object is closed")                                                        \
  X(RTC_ERR_MALFORMED, -63, RTC_JS_DOMEXCEPTION, "OperationError", NULL,       \
    "malformed input")                                                         \
  X(RTC_ERR_BUFFER_TOO_SMALL, -64, RTC_JS_DOMEXCEPTION, "OperationError",      \
    NULL, "buffer too small")

typedef enum rtc_error {
#define RTC_ERROR_ENUM_ENTRY(id, value, kind, js_name, detail, desc) id = value,
  RTC_ERROR_LIST(RTC_ERROR_ENUM_ENTRY)
#undef RTC_ERROR_ENUM_ENTRY
  /* Not an error: makes every int32_t a valid rtc_error value (in C++ an
   * enum's valid range otherwise stops at its enumerators' bits), so that
   * codes from newer versions or the wire can pass through safely. */
  RTC_ERROR_ENUM_MIN = INT32_MIN,
} rtc_error;

/* "RTC_ERR_INVALID_STATE"; "RTC_ERR_UNKNOWN" for a value not in the table. */
const char* rtc_error_name(rtc_error err);
/* The description ("invalid state"); "unknown error" if not in the table. */
const char* rtc_error_description(rtc_error err);
/* How the bindings throw it. Unknown values: RTC_JS_DOMEXCEPTION. */
rtc_js_error_kind rtc_error_js_kind(rtc_error err);
/* "InvalidStateError", "TypeError", ...; NULL for RTC_OK; "OperationError"
 * for unknown values. */
const char* rtc_error_js_name(rtc_error err);
/* The RTCErrorDetailType string for RTC_JS_RTC_ERROR kinds, else NULL. */
const char* rtc_error_detail_type(rtc_error err);
/* True when err is a value of the table. */
int rtc_error_is_known(int err);

/* Optional detail, owned by the caller. Fields that do not apply keep
 * their "absent" value: 0 for sdp_line_number (lines count from 1) and
 * http_request_status_code, -1 for the others. */
typedef struct rtc_error_info {
  rtc_error code;
  char message[256];
  int32_t sdp_line_number;
  int32_t sctp_cause_code;
  int32_t received_alert;
  int32_t sent_alert;
  int32_t http_request_status_code;
} rtc_error_info;

void rtc_error_info_init(rtc_error_info* info);

/* Records `code` and a printf-style message (NULL: the description) in
 * `info`, which may be NULL; returns `code` so that callers can write
 *   return rtc_error_set(info, RTC_ERR_SYNTAX, "bad port '%s'", s); */
rtc_error rtc_error_set(rtc_error_info* info,
                        rtc_error code,
                        const char* fmt,
                        ...) __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // RTC_BASE_ERROR_H_
