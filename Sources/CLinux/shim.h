// Linux calls Glibc's Swift module does not cover.
#ifndef MIDFLIGHT_CLINUX_SHIM_H
#define MIDFLIGHT_CLINUX_SHIM_H
#include <sys/timex.h>
#include <sys/reboot.h>

/// adjtimex(2) read-only: 1 when the kernel considers the wall clock synchronized.
static inline int midflight_clock_is_synchronized(void) {
    struct timex state = {0};
    int result = adjtimex(&state);
    return result >= 0 && result != TIME_ERROR && !(state.status & STA_UNSYNC);
}
/// reboot(2) with RB_AUTOBOOT: restart now (the caller syncs first).
static inline int midflight_reboot(void) {
    return reboot(RB_AUTOBOOT);
}
#endif
