/* fuzz_policy.c — pki_policy_parse on hostile input, then every accessor
 * and the matchers on names and addresses at their edges. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <pki/policy.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = { "cp-1", "CP-1", "kubernetes", "a.example.internal",
	"example.internal", "*.apps.example.com", "*", "", "a..b", "-a", "x.", "w-1", "W-1", "admin.conf" };
static const char *const ips[] = { "10.0.0.1", "::1", "::ffff:10.0.0.1", "0.0.0.0", "::",
	"255.255.255.255", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "10.0.0.1/8", "" };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pki_policy *pol = NULL;
	struct pki_err err;
	size_t i;

	pki_err_clear(&err);
	if (pki_policy_parse(data, size, "fuzz", &pol, &err) != 0) {
		if (pol != NULL || err.msg[0] == '\0')
			__builtin_trap();
		return 0;
	}
	if (pki_policy_name(pol)[0] == '\0' || pki_policy_cluster(pol)[0] == '\0' ||
	    pki_policy_profiles(pol)[0] == '\0' || pki_policy_max_validity(pol) < 0)
		__builtin_trap();
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		/* a node is always an allowed DNS name; matching ignores case */
		if (pki_policy_node_allowed(pol, names[i]) && !pki_policy_dns_allowed(pol, names[i]))
			__builtin_trap();
		/* a worker is an allowed node; an upper-case name never is */
		if (pki_policy_node_is_worker(pol, names[i]) && !pki_policy_node_allowed(pol, names[i]))
			__builtin_trap();
		(void)pki_policy_dns_allowed(pol, names[i]);
		(void)pki_policy_profile_allowed(pol, names[i]);
	}
	if (pki_policy_node_allowed(pol, "CP-1") || pki_policy_node_is_worker(pol, "W-1") ||
	    pki_policy_profile_allowed(pol, NULL) || pki_policy_profile_allowed(pol, ""))
		__builtin_trap();
	if (pki_policy_dns_allowed(pol, "cp-1") != pki_policy_dns_allowed(pol, "CP-1") ||
	    pki_policy_dns_allowed(pol, "") || pki_policy_dns_allowed(pol, NULL))
		__builtin_trap();
	for (i = 0; i < sizeof(ips) / sizeof(ips[0]); i++)
		(void)pki_policy_ip_allowed(pol, ips[i]);
	if (pki_policy_ip_allowed(pol, "10.0.0.1/8") || pki_policy_ip_allowed(pol, ""))
		__builtin_trap();
	pki_policy_free(pol);
	return 0;
}
