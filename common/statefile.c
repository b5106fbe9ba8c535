/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "statefile.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hash.h"

static int fail(char *err, size_t errlen, const char *what, int e)
{
	snprintf(err, errlen, "%s: %s", what, strerror(e));
	return -e;
}

int mg_statefile_write(const char *path, const char *body, size_t len, const char *sum_prefix,
		       char *err, size_t errlen)
{
	char tmp[4200], sum[64] = "", dir[4200];
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return fail(err, errlen, path, ENAMETOOLONG);
	if (sum_prefix)
		snprintf(sum, sizeof(sum), "%s%016" PRIx64 "\n", sum_prefix,
			 mg_fnv1a(MG_FNV_INIT, body, len));
	FILE *f = fopen(tmp, "w");
	if (!f)
		return fail(err, errlen, tmp, errno);
	size_t sl = strlen(sum);
	bool bad = fwrite(body, 1, len, f) != len || fwrite(sum, 1, sl, f) != sl || fflush(f) ||
		   fsync(fileno(f));
	int e = errno ? errno : EIO;
	if (fclose(f) != 0 && !bad) {
		bad = true;
		e = errno;
	}
	if (bad || rename(tmp, path) < 0) {
		if (!bad)
			e = errno;
		unlink(tmp);
		return fail(err, errlen, bad ? tmp : path, e);
	}
	/* the rename itself reaches the disk with the directory */
	snprintf(dir, sizeof(dir), "%s", path);
	int fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}
