/*
 * replay.c — a plain main for the fuzz targets: runs every file of the
 * directories (or the files) named on the command line through
 * LLVMFuzzerTestOneInput, so that corpora and past crashes run in
 * `make check` without a fuzzer. Each input is copied into a buffer of
 * exactly its size, so that AddressSanitizer sees any read past its end.
 *
 * Exit status: 0 when every input ran, 1 when an input could not be read
 * or a directory held no input, 2 on usage error.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* larger than any input kind's cap, so that the caps themselves are hit */
#define REPLAY_MAX (16u * 1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t off = 0;
	int fd, ret = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "replay: '%s': cannot open: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "replay: '%s': not a regular file\n", path);
		goto out;
	}
	if ((uintmax_t)st.st_size > REPLAY_MAX) {
		fprintf(stderr, "replay: '%s': larger than %u bytes\n", path, REPLAY_MAX);
		goto out;
	}
	/* exactly the input's size (1 byte for an empty input, never read) */
	buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	if (buf == NULL) {
		fprintf(stderr, "replay: '%s': out of memory\n", path);
		goto out;
	}
	while (off < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + off, (size_t)st.st_size - off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "replay: '%s': cannot read\n", path);
			goto out;
		}
		off += (size_t)r;
	}
	(void)LLVMFuzzerTestOneInput(buf, off);
	ret = 0;
out:
	free(buf);
	close(fd);
	return ret;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs the files of dir in name order; returns the number run, -1 on error. */
static long
run_dir(const char *dir)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL, **nn, path[4096];
	size_t n = 0, cap = 0, i;
	long ran = -1;

	d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr, "replay: '%s': cannot open directory: %s\n", dir,
			strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			nn = realloc(names, cap * sizeof(*names));
			if (nn == NULL)
				goto out;
			names = nn;
		}
		names[n] = strdup(de->d_name);
		if (names[n] == NULL)
			goto out;
		n++;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= (int)sizeof(path)) {
			fprintf(stderr, "replay: '%s/%s': path too long\n", dir, names[i]);
			goto out;
		}
		if (run_file(path) != 0)
			goto out;
	}
	ran = (long)n;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return ran;
}

int
main(int argc, char **argv)
{
	struct stat st;
	long total = 0, r;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s corpus-dir|file ...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			r = run_dir(argv[i]);
			if (r < 0)
				return 1;
			if (r == 0) {
				fprintf(stderr, "replay: '%s': no inputs\n", argv[i]);
				return 1;
			}
			total += r;
		} else {
			if (run_file(argv[i]) != 0)
				return 1;
			total++;
		}
	}
	printf("replay: %ld inputs ran\n", total);
	return 0;
}
