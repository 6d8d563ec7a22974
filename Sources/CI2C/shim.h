// Thin shims over the i2c-dev ioctls: ioctl(2) is variadic and the request macros do not
// import into Swift. The SMBus transfers themselves come from libi2c (<i2c/smbus.h>).
#ifndef MIDFLIGHT_CI2C_SHIM_H
#define MIDFLIGHT_CI2C_SHIM_H

#include <stdint.h>
#include <sys/ioctl.h>
#include <linux/i2c.h>
#include <linux/i2c-dev.h>
#include <i2c/smbus.h>

/// ioctl(fd, I2C_SLAVE, address): selects the target of later SMBus transfers.
static inline int midflight_i2c_select(int fd, uint16_t address) {
    return ioctl(fd, I2C_SLAVE, (unsigned long)address);
}

/// ioctl(fd, I2C_FUNCS, &funcs): what the adapter supports.
static inline int midflight_i2c_functionality(int fd, unsigned long *funcs) {
    return ioctl(fd, I2C_FUNCS, funcs);
}

/// ioctl(fd, I2C_RDWR, ...): one combined transaction, a write then a repeated-start read.
static inline int midflight_i2c_write_read(int fd, uint16_t address,
                                           const uint8_t *write, uint16_t writeLength,
                                           uint8_t *read, uint16_t readLength) {
    struct i2c_msg messages[2];
    struct i2c_rdwr_ioctl_data data;
    int count = 0;
    if (writeLength > 0) {
        messages[count].addr = address;
        messages[count].flags = 0;
        messages[count].len = writeLength;
        messages[count].buf = (uint8_t *)write;
        count++;
    }
    if (readLength > 0) {
        messages[count].addr = address;
        messages[count].flags = I2C_M_RD;
        messages[count].len = readLength;
        messages[count].buf = read;
        count++;
    }
    data.msgs = messages;
    data.nmsgs = (uint32_t)count;
    return ioctl(fd, I2C_RDWR, &data);
}

static const unsigned long midflight_i2c_func_i2c = I2C_FUNC_I2C;
static const unsigned long midflight_i2c_func_smbus_quick = I2C_FUNC_SMBUS_QUICK;
static const unsigned long midflight_i2c_func_smbus_read_byte = I2C_FUNC_SMBUS_READ_BYTE;

#endif
