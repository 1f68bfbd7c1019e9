// The harness is in the header (a fixture and inline helpers); this file
// makes it a library GN can check the includes of.
#include "test/dtls/dtls_test_util.h"
