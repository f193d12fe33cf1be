/* Writing Prometheus's text exposition format (version 0.0.4): metric families, samples, label escaping. */
#include "prom.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void prom_family(struct strbuf *out, const char *name, const char *type, const char *help)
{
	/* HELP text escapes only backslashes and newlines; ours are fixed strings without them. */
	strbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void append_label_value(struct strbuf *out, const char *v)
{
	const char *run = v;
	for (; *v != '\0'; v++) {
		const char *esc = NULL;
		if (*v == '\\')
			esc = "\\\\";
		else if (*v == '"')
			esc = "\\\"";
		else if (*v == '\n')
			esc = "\\n";
		if (esc == NULL)
			continue;
		strbuf_append(out, run, (size_t)(v - run));
		strbuf_append(out, esc, 2);
		run = v + 1;
	}
	strbuf_append(out, run, (size_t)(v - run));
}

void prom_sample(struct strbuf *out, const char *name, const struct prom_label *labels, size_t nlabels,
		 const char *value)
{
	strbuf_append(out, name, strlen(name));
	if (nlabels > 0) {
		strbuf_append(out, "{", 1);
		for (size_t i = 0; i < nlabels; i++) {
			if (i > 0)
				strbuf_append(out, ",", 1);
			strbuf_printf(out, "%s=\"", labels[i].name);
			append_label_value(out, labels[i].value != NULL ? labels[i].value : "");
			strbuf_append(out, "\"", 1);
		}
		strbuf_append(out, "}", 1);
	}
	strbuf_printf(out, " %s\n", value);
}

void prom_sample_int(struct strbuf *out, const char *name, const struct prom_label *labels, size_t nlabels,
		     long long value)
{
	char v[32];
	snprintf(v, sizeof(v), "%lld", value);
	prom_sample(out, name, labels, nlabels, v);
}

char *prom_ms_text(int64_t ms, char buf[32])
{
	/* |INT64_MIN| does not fit an int64_t: work in unsigned. */
	uint64_t mag = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
	snprintf(buf, 32, "%s%" PRIu64 ".%03" PRIu64, ms < 0 ? "-" : "", mag / 1000, mag % 1000);
	return buf;
}

void prom_sample_ms(struct strbuf *out, const char *name, const struct prom_label *labels, size_t nlabels,
		    int64_t ms)
{
	char v[32];
	prom_sample(out, name, labels, nlabels, prom_ms_text(ms, v));
}
