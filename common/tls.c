/* NSS/NSPR start-up and shutdown, and their error text for log lines. */
#include "tls.h"

#include <nss.h>
#include <prerror.h>
#include <prinit.h>
#include <ssl.h>

static int initialised;

int tls_nss_init(const char *db_dir)
{
	SECStatus rv;

	PR_Init(PR_USER_THREAD, PR_PRIORITY_NORMAL, 0);
	if (db_dir != NULL)
		rv = NSS_Init(db_dir);
	else
		rv = NSS_NoDB_Init(NULL);
	if (rv != SECSuccess)
		return -1;
	initialised = 1;
	if (NSS_SetDomesticPolicy() != SECSuccess)
		return -1;
	return 0;
}

void tls_nss_shutdown(void)
{
	if (initialised) {
		SSL_ClearSessionCache();
		NSS_Shutdown();
		initialised = 0;
	}
	PR_Cleanup();
}

int tls_error_code(void)
{
	return PR_GetError();
}

const char *tls_error_str(void)
{
	const char *s = PR_ErrorToString(PR_GetError(), PR_LANGUAGE_I_DEFAULT);
	return s != NULL ? s : "unknown error";
}
