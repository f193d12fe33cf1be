/* Writing Prometheus's text exposition format (version 0.0.4): metric families, samples, label escaping. */
#ifndef QD_PROM_H
#define QD_PROM_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/* The Content-Type an HTTP server gives the exposition. */
#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct prom_label {
	const char *name;
	const char *value;              /* UTF-8; quotes, backslashes and newlines are escaped here */
};

/* "# HELP" and "# TYPE" lines; every family is announced once, before its samples. */
void prom_family(struct strbuf *out, const char *name, const char *type, const char *help);
/* One sample line; `value` is already a number in the format's syntax. */
void prom_sample(struct strbuf *out, const char *name, const struct prom_label *labels, size_t nlabels,
		 const char *value);
void prom_sample_int(struct strbuf *out, const char *name, const struct prom_label *labels, size_t nlabels,
		     long long value);
/* Milliseconds as seconds, exactly ("1.250", "-0.001"). */
void prom_sample_ms(struct strbuf *out, const char *name, const struct prom_label *labels, size_t nlabels,
		    int64_t ms);
/* The same as a label value (histogram bounds: le="0.25"). */
char *prom_ms_text(int64_t ms, char buf[32]);

#endif
