/* Registry of the decision algorithms by protocol id. */
#include "algo.h"

#include <stddef.h>

const struct qnetd_algo *qnetd_algo_get(uint16_t id)
{
	switch (id) {
	case PROTO_ALGO_TEST: return &qnetd_algo_test;
	case PROTO_ALGO_FFSPLIT: return &qnetd_algo_ffsplit;
	case PROTO_ALGO_2NODELMS: return &qnetd_algo_2nodelms;
	case PROTO_ALGO_LMS: return &qnetd_algo_lms;
	}
	return NULL;
}
