// The few C symbols Embedded Swift needs on wasm32-unknown-none, where there is no libc:
// a size-class allocator over memory.grow, mem* functions, and __multi3.
// Compiled with: clang --target=wasm32-unknown-unknown -Os -nostdlib -ffreestanding -c
#include <stddef.h>
#include <stdint.h>

#define PAGE 65536u
#define CLASSES 9 /* 16, 32, ... 4096 bytes */

typedef struct free_block { struct free_block *next; } free_block;
typedef struct large_header { size_t size; struct large_header *next; } large_header;

static free_block *free_lists[CLASSES];
static large_header *free_large;
static uint8_t *heap_top, *heap_end;

extern unsigned char __heap_base;

static int class_of(size_t size) {
    size_t block = 16;
    for (int index = 0; index < CLASSES; index++, block <<= 1)
        if (size <= block) return index;
    return -1;
}

static void *grab(size_t size) {
    if (!heap_top) heap_top = heap_end = (uint8_t *)(((uintptr_t)&__heap_base + 15) & ~(uintptr_t)15);
    if ((size_t)(heap_end - heap_top) < size) {
        size_t need = size - (size_t)(heap_end - heap_top);
        size_t pages = (need + PAGE - 1) / PAGE;
        size_t current = __builtin_wasm_memory_size(0) * PAGE;
        if ((uintptr_t)heap_end < current) heap_end = (uint8_t *)current;
        if ((size_t)(heap_end - heap_top) < size) {
            if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) return NULL;
            heap_end = (uint8_t *)(__builtin_wasm_memory_size(0) * PAGE);
        }
    }
    void *result = heap_top;
    heap_top += size;
    return result;
}

static void *allocate(size_t size) {
    int index = class_of(size);
    if (index >= 0) {
        if (free_lists[index]) {
            free_block *block = free_lists[index];
            free_lists[index] = block->next;
            return block;
        }
        /* Each small block is preceded by 16 bytes holding its class, for free(). */
        uint8_t *raw = grab(16 + ((size_t)16 << index));
        if (!raw) return NULL;
        *(size_t *)raw = (size_t)index;
        return raw + 16;
    }
    large_header **link = &free_large;
    for (large_header *block = free_large; block; link = &block->next, block = block->next) {
        if (block->size >= size) {
            *link = block->next;
            return (uint8_t *)block + 16;
        }
    }
    size_t rounded = (size + 15) & ~(size_t)15;
    large_header *block = grab(16 + rounded);
    if (!block) return NULL;
    block->size = rounded;
    return (uint8_t *)block + 16;
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    if (alignment > 16) return 22; /* EINVAL: the runtime never asks for more */
    void *pointer = allocate(size ? size : 1);
    if (!pointer) return 12; /* ENOMEM */
    *out = pointer;
    return 0;
}

void *malloc(size_t size) { return allocate(size ? size : 1); }

void free(void *pointer) {
    if (!pointer) return;
    uint8_t *header = (uint8_t *)pointer - 16;
    size_t tag = *(size_t *)header;
    if (tag < CLASSES) {
        free_block *block = pointer;
        block->next = free_lists[tag];
        free_lists[tag] = block;
    } else {
        large_header *block = (large_header *)header;
        block->next = free_large;
        free_large = block;
    }
}

void *memset(void *destination, int value, size_t count) {
    uint8_t *bytes = destination;
    while (count--) *bytes++ = (uint8_t)value;
    return destination;
}

void *memcpy(void *destination, const void *source, size_t count) {
    uint8_t *to = destination;
    const uint8_t *from = source;
    while (count--) *to++ = *from++;
    return destination;
}

void *memmove(void *destination, const void *source, size_t count) {
    uint8_t *to = destination;
    const uint8_t *from = source;
    if (to < from) {
        while (count--) *to++ = *from++;
    } else {
        to += count;
        from += count;
        while (count--) *--to = *--from;
    }
    return destination;
}

int memcmp(const void *left, const void *right, size_t count) {
    const uint8_t *a = left, *b = right;
    for (; count; count--, a++, b++)
        if (*a != *b) return *a < *b ? -1 : 1;
    return 0;
}

/* 128-bit multiply, which date arithmetic can pull in; no compiler-rt for wasm32. */
typedef unsigned __int128 u128;
u128 __multi3(u128 a, u128 b) {
    uint64_t a_low = (uint64_t)a, a_high = (uint64_t)(a >> 64);
    uint64_t b_low = (uint64_t)b, b_high = (uint64_t)(b >> 64);
    uint64_t a0 = a_low & 0xffffffffu, a1 = a_low >> 32, b0 = b_low & 0xffffffffu, b1 = b_low >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t middle = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    uint64_t low = (p00 & 0xffffffffu) | (middle << 32);
    uint64_t high = p11 + (p01 >> 32) + (p10 >> 32) + (middle >> 32) + a_low * b_high + a_high * b_low;
    return ((u128)high << 64) | low;
}

/* Embedded Swift's Hasher seeds from this when a module uses Set or Dictionary. */
void arc4random_buf(void *buffer, size_t count) {
    static uint64_t state = 0x9E3779B97F4A7C15ull;
    uint8_t *bytes = buffer;
    while (count--) {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17;
        *bytes++ = (uint8_t)state;
    }
}
