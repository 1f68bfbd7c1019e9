#include "rtc_base/checks.h"

#include <execinfo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void rtc_check_failed(const char* file,
                      int line,
                      const char* expr,
                      const char* fmt,
                      ...) {
  char detail[512] = "";
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
  }
  /* stderr only: the log sink may be what is broken. */
  fprintf(stderr,
          "\n#\n# Fatal error in %s, line %d\n# Check failed: %s%s%s\n#\n",
          file, line, expr, fmt ? "\n# " : "", detail);
  fflush(stderr);
  void* frames[64];
  int n = backtrace(frames, 64);
  backtrace_symbols_fd(frames, n, STDERR_FILENO);
  abort();
}
