/*
 * Clang thread-safety annotations (-Wthread-safety). In C, clang checks lock
 * and unlock balance and RTC_REQUIRES contracts on functions; it cannot
 * refer to a struct member from another member's attribute, so
 * RTC_GUARDED_BY documents what a mutex guards without being checked.
 */
#ifndef RTC_BASE_THREAD_ANNOTATIONS_H_
#define RTC_BASE_THREAD_ANNOTATIONS_H_

#if defined(__clang__)
#define RTC_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define RTC_THREAD_ANNOTATION(x)
#endif

#define RTC_CAPABILITY(name) RTC_THREAD_ANNOTATION(capability(name))
#define RTC_ACQUIRE(...) RTC_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RTC_RELEASE(...) RTC_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define RTC_TRY_ACQUIRE(...) \
  RTC_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define RTC_REQUIRES(...) \
  RTC_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define RTC_EXCLUDES(...) RTC_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define RTC_NO_THREAD_SAFETY_ANALYSIS \
  RTC_THREAD_ANNOTATION(no_thread_safety_analysis)

/* Documentation only in C (see above). */
#define RTC_GUARDED_BY(x)
#define RTC_PT_GUARDED_BY(x)

#endif  // RTC_BASE_THREAD_ANNOTATIONS_H_
