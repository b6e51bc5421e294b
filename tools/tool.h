/*
 * tool.h — what every kpki tool says and returns the same way. Each
 * tools/kpki-<verb>.c defines PROG and includes this once.
 */
#ifndef KPKI_TOOL_H
#define KPKI_TOOL_H

#include <stdio.h>
#include <stdlib.h>

#include <popt.h>

#include <pki/cert.h>
#include <pki/error.h>

#ifndef PROG
#error "define PROG before including tool.h"
#endif

/* Exit statuses (every man page's EXIT STATUS): 0, 1, 2 usage, 3 a check
 * found a problem or a request was refused. */
enum { EXIT_USAGE = 2, EXIT_CHECK = 3 };

static inline int
usage_error(const char *msg)
{
	fprintf(stderr, PROG ": %s\nTry '" PROG " --help' for more information.\n", msg);
	return EXIT_USAGE;
}

/* Prints the library's message; a usage error exits 2, anything else 1. */
static inline int
fail(const struct pki_err *err)
{
	fprintf(stderr, PROG ": %s\n", err->msg);
	return err->code == PKI_E_USAGE ? EXIT_USAGE : EXIT_FAILURE;
}

static inline void
print_lines(const char *prefix, const struct pki_names *lines)
{
	size_t i;

	for (i = 0; i < lines->n; i++)
		fprintf(stderr, PROG ": %s%s\n", prefix, lines->v[i]);
}

/* popt's complaint about the option it stopped at, as a usage error. */
static inline int
bad_option(poptContext pc, int rc)
{
	char msg[512];

	(void)snprintf(msg, sizeof(msg), "%s: %s", poptBadOption(pc, POPT_BADOPTION_NOALIAS),
		poptStrerror(rc));
	return usage_error(msg);
}

/*
 * What every tool does once popt stopped at rc: a bad option is a usage
 * error, --version prints the version and ends, and an argument where the
 * tool takes none (no_args, the complaint; NULL when it takes files) is a
 * usage error. Returns -1 to go on, else the exit status.
 */
static inline int
options_done(poptContext pc, int rc, int version, const char *no_args)
{
	if (rc < -1)
		return bad_option(pc, rc);
	if (version) {
		printf(PROG " " PKI_VERSION "\n");
		return EXIT_SUCCESS;
	}
	if (no_args != NULL && poptPeekArg(pc) != NULL)
		return usage_error(no_args);
	return -1;
}

#endif
