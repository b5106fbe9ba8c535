/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer: TLS ClientHello parsing and JA3. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../classify/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_tls_hello h;
	if (mg_tls_client_hello(data, (uint32_t)size, &h) == 0 &&
	    (strlen(h.ja3) >= sizeof(h.ja3) || strlen(h.ja3_md5) != 32))
		__builtin_trap();
	return 0;
}
