/*
 * edge-latency: measure the time from writing a gpio-sim "pull" attribute to
 * libgpiod 1.6 delivering the matching edge event.
 *
 * usage: edge-latency CHIP OFFSET PULL_FILE [N]
 *   CHIP       chip name, path or label (gpiod_chip_open_lookup)
 *   OFFSET     line offset on that chip
 *   PULL_FILE  /sys/devices/platform/<dev>/<chip>/sim_gpio<OFFSET>/pull
 *   N          number of toggles (default 1000)
 *
 * Exit status: 0 if every toggle produced exactly one event of the right type,
 * 1 if any were lost or wrong, 2 on setup errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gpiod.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static double us(int64_t ns)
{
	return (double)ns / 1000.0;
}

int main(int argc, char **argv)
{
	struct gpiod_chip *chip;
	struct gpiod_line *line;
	char *end, cur[32] = "";
	long n = 1000, offset;
	long lost = 0, wrong = 0, extra = 0, got = 0;
	int64_t *lat, *klat;
	int fd, up;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: %s CHIP OFFSET PULL_FILE [N]\n", argv[0]);
		return 2;
	}
	offset = strtol(argv[2], &end, 0);
	if (*end || offset < 0) {
		fprintf(stderr, "bad offset: %s\n", argv[2]);
		return 2;
	}
	if (argc == 5) {
		n = strtol(argv[4], &end, 0);
		if (*end || n <= 0) {
			fprintf(stderr, "bad count: %s\n", argv[4]);
			return 2;
		}
	}
	lat = calloc((size_t)n, sizeof(*lat));
	klat = calloc((size_t)n, sizeof(*klat));
	if (!lat || !klat)
		return 2;

	chip = gpiod_chip_open_lookup(argv[1]);
	if (!chip) {
		fprintf(stderr, "open chip %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	line = gpiod_chip_get_line(chip, (unsigned int)offset);
	if (!line) {
		fprintf(stderr, "get line %ld: %s\n", offset, strerror(errno));
		return 2;
	}
	printf("chip %s label %s lines %u; line %ld name %s\n",
	       gpiod_chip_name(chip), gpiod_chip_label(chip),
	       gpiod_chip_num_lines(chip), offset,
	       gpiod_line_name(line) ? gpiod_line_name(line) : "(unnamed)");

	fd = open(argv[3], O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "open %s: %s\n", argv[3], strerror(errno));
		return 2;
	}
	/* Re-writing the current pull gives no edge, so start from the opposite. */
	if (pread(fd, cur, sizeof(cur) - 1, 0) < 0) {
		fprintf(stderr, "read %s: %s\n", argv[3], strerror(errno));
		return 2;
	}
	up = strncmp(cur, "pull-up", 7) != 0;

	if (gpiod_line_request_both_edges_events(line, "edge-latency") < 0) {
		fprintf(stderr, "request events: %s\n", strerror(errno));
		return 2;
	}

	for (long i = 0; i < n; i++, up = !up) {
		const char *val = up ? "pull-up" : "pull-down";
		const struct timespec timeout = { .tv_sec = 1, .tv_nsec = 0 };
		struct gpiod_line_event ev;
		int64_t t0, t1;
		int rc;

		t0 = now_ns();
		if (pwrite(fd, val, strlen(val), 0) < 0) {
			fprintf(stderr, "write %s: %s\n", argv[3], strerror(errno));
			return 2;
		}
		rc = gpiod_line_event_wait(line, &timeout);
		if (rc < 0) {
			fprintf(stderr, "event wait: %s\n", strerror(errno));
			return 2;
		}
		if (rc == 0) {
			lost++;
			continue;
		}
		if (gpiod_line_event_read(line, &ev) < 0) {
			fprintf(stderr, "event read: %s\n", strerror(errno));
			return 2;
		}
		t1 = now_ns();
		if (ev.event_type != (up ? GPIOD_LINE_EVENT_RISING_EDGE
					: GPIOD_LINE_EVENT_FALLING_EDGE))
			wrong++;
		/* Also from the kernel's timestamp of the edge, as the agent's status reports it. */
		klat[got] = t1 - ((int64_t)ev.ts.tv_sec * 1000000000 + ev.ts.tv_nsec);
		lat[got++] = t1 - t0;

		/* A second queued event would mean one write gave two edges. */
		const struct timespec zero = { 0, 0 };
		while (gpiod_line_event_wait(line, &zero) == 1 &&
		       gpiod_line_event_read(line, &ev) == 0)
			extra++;
	}

	if (got == 0) {
		printf("c-libgpiod edge latency: no events (n=%ld, lost=%ld)\n",
		       n, lost);
		return 1;
	}
	qsort(lat, (size_t)got, sizeof(*lat), cmp_i64);
	int64_t median = got % 2 ? lat[got / 2]
				 : (lat[got / 2 - 1] + lat[got / 2]) / 2;
	long p99i = (long)((got * 99 + 99) / 100) - 1;

	printf("c-libgpiod edge latency: median %.1f us p99 %.1f us max %.1f us (n=%ld, lost=%ld)\n",
	       us(median), us(lat[p99i]), us(lat[got - 1]), n, lost);
	qsort(klat, (size_t)got, sizeof(*klat), cmp_i64);
	printf("c-libgpiod edge timestamp -> read returned: median %.1f us p99 %.1f us max %.1f us\n",
	       us(klat[got / 2]), us(klat[p99i]), us(klat[got - 1]));
	if (wrong || extra)
		printf("c-libgpiod edge errors: wrong_edge=%ld extra_events=%ld\n",
		       wrong, extra);

	gpiod_line_release(line);
	gpiod_chip_close(chip);
	close(fd);
	free(lat);
	free(klat);
	return (lost || wrong || extra) ? 1 : 0;
}
