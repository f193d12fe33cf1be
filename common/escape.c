/* Peer-supplied bytes made safe for logs and tool output: control characters and backslashes as \xNN. */
#include "escape.h"

#include <stdio.h>
#include <string.h>

bool escape_needed(uint8_t byte)
{
	return byte < 0x20 || byte == 0x7f || byte == '\\';
}

char *escape_bytes(const uint8_t *in, size_t len, char *out, size_t cap)
{
	size_t total = 0;
	for (size_t i = 0; i < len; i++)
		total += escape_needed(in[i]) ? 4 : 1;
	/* Cut short: leave room for "..." after the last whole byte that fits. */
	size_t room = total <= cap - 1 ? cap - 1 : cap - 1 - 3;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		size_t need = escape_needed(in[i]) ? 4 : 1;
		if (o + need > room)
			break;
		if (need == 4)
			snprintf(out + o, 5, "\\x%02x", in[i]);
		else
			out[o] = (char)in[i];
		o += need;
	}
	if (total > cap - 1) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}
