/* The one out-of-memory policy: what the daemons do when the runtime itself cannot grow. */
#include "oom.h"

#include <stdlib.h>

#include "log.h"

void oom_abort(const char *what)
{
	log_crit("Out of memory (%s): aborting", what);
	abort();
}
