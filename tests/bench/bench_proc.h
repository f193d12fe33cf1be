/* Benchmark helpers: a process's CPU time and memory from /proc, monotonic nanoseconds, and percentiles. */
#ifndef QD_BENCH_PROC_H
#define QD_BENCH_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct proc_sample {
	bool ok;
	uint64_t cpu_ns;  /* user + system time of every thread */
	uint64_t rss_kb;  /* VmRSS */
	uint64_t hwm_kb;  /* VmHWM, the peak RSS */
};

/* Samples pid; s->ok is false when the process is gone or /proc cannot be read. */
void proc_sample(pid_t pid, struct proc_sample *s);
/* CPU time this process has used (user + system), in nanoseconds. */
uint64_t self_cpu_ns(void);
uint64_t now_ns(void);
/* CPU time the whole machine has spent busy (every CPU, from /proc/stat), in nanoseconds. */
uint64_t machine_busy_ns(void);

/* Sorts v in place and returns the nearest-rank percentile p (0..100); 0 for an empty set. */
uint64_t percentile(uint64_t *v, size_t n, double p);
void sort_u64(uint64_t *v, size_t n);

#endif
