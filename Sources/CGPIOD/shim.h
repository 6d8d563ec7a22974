// libgpiod v1.6, the API Debian 12 and Raspberry Pi OS ship.
#ifndef MIDFLIGHT_CGPIOD_SHIM_H
#define MIDFLIGHT_CGPIOD_SHIM_H
#include <gpiod.h>
#endif
