/*
 * Assertions.
 *
 *   RTC_CHECK(cond)           always on; for memory-safety invariants.
 *   RTC_CHECK_MSG(cond, ...)  the same with a printf-style explanation.
 *   RTC_DCHECK(cond)          debug builds (RTC_DCHECK_IS_ON) only; for
 *                             programmer errors. In release builds the
 *                             condition is type-checked, never evaluated.
 *   RTC_NOTREACHED()          a path that must never run.
 *
 * A failed check logs the file, line, expression and a backtrace to stderr
 * and aborts. Input from the network, IPC or JavaScript is never checked
 * with these: it is validated and rejected with an rtc_error.
 *
 * Threads: any.
 */
#ifndef RTC_BASE_CHECKS_H_
#define RTC_BASE_CHECKS_H_

#ifdef __cplusplus
extern "C" {
#endif

#ifndef RTC_DCHECK_IS_ON
#define RTC_DCHECK_IS_ON 0
#endif

/* Reports a failed check and aborts. `fmt` may be NULL. */
__attribute__((noreturn, format(printf, 4, 5))) void rtc_check_failed(
    const char* file,
    int line,
    const char* expr,
    const char* fmt,
    ...);

#define RTC_CHECK(cond)          \
  (__builtin_expect(!!(cond), 1) \
       ? (void)0                 \
       : rtc_check_failed(__FILE__, __LINE__, #cond, NULL))

#define RTC_CHECK_MSG(cond, ...) \
  (__builtin_expect(!!(cond), 1) \
       ? (void)0                 \
       : rtc_check_failed(__FILE__, __LINE__, #cond, __VA_ARGS__))

#define RTC_CHECK_EQ(a, b) RTC_CHECK((a) == (b))
#define RTC_CHECK_NE(a, b) RTC_CHECK((a) != (b))
#define RTC_CHECK_LT(a, b) RTC_CHECK((a) < (b))
#define RTC_CHECK_LE(a, b) RTC_CHECK((a) <= (b))
#define RTC_CHECK_GT(a, b) RTC_CHECK((a) > (b))
#define RTC_CHECK_GE(a, b) RTC_CHECK((a) >= (b))

#define RTC_NOTREACHED() \
  rtc_check_failed(__FILE__, __LINE__, "NOTREACHED", NULL)

#if RTC_DCHECK_IS_ON
#define RTC_DCHECK(cond) RTC_CHECK(cond)
#define RTC_DCHECK_MSG(cond, ...) RTC_CHECK_MSG(cond, __VA_ARGS__)
#else
#define RTC_DCHECK(cond) ((void)sizeof((cond) ? 1 : 0))
#define RTC_DCHECK_MSG(cond, ...) ((void)sizeof((cond) ? 1 : 0))
#endif

#define RTC_DCHECK_EQ(a, b) RTC_DCHECK((a) == (b))
#define RTC_DCHECK_NE(a, b) RTC_DCHECK((a) != (b))
#define RTC_DCHECK_LT(a, b) RTC_DCHECK((a) < (b))
#define RTC_DCHECK_LE(a, b) RTC_DCHECK((a) <= (b))
#define RTC_DCHECK_GT(a, b) RTC_DCHECK((a) > (b))
#define RTC_DCHECK_GE(a, b) RTC_DCHECK((a) >= (b))

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // RTC_BASE_CHECKS_H_
