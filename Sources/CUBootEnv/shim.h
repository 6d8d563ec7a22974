// libubootenv (Debian's libubootenv-dev 0.3.2): the U-Boot environment as fw_printenv and
// fw_setenv read and write it.
#ifndef MIDFLIGHT_CUBOOTENV_SHIM_H
#define MIDFLIGHT_CUBOOTENV_SHIM_H

#include <stddef.h>
#include <libuboot.h>

#endif
