/*
 * test_configfs_tree.c - kato-configfs's path model (daemon/configfs/tree.c,
 * included: it is not in any library): every node kind of nvmet's layout
 * from its path, the names and numbers it carries, numbers configfs would
 * not list as written ("01", "0x1", nsid 0), paths of no shape, and link
 * targets absolute (from the last /nvmet/, wherever mounted) and relative
 * (resolved against the link's directory, never above the mount point).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/configfs/tree.c"

static struct kcfs_node n;

static enum kcfs_kind kind_of(const char *path)
{
	assert_int_equal(kcfs_parse(path, &n), 0);
	return n.kind;
}

static void test_kinds(void **state)
{
	assert_int_equal(kind_of("/"), K_ROOT);
	assert_int_equal(kind_of("/nvmet"), K_NVMET);
	assert_int_equal(kind_of("/nvmet/discovery_nqn"), K_ATTR);
	assert_int_equal(n.owner, K_NVMET);
	assert_int_equal(kind_of("/nvmet/subsystems"), K_SUBSYSTEMS);
	assert_int_equal(kind_of("/nvmet/subsystems/nqn.a:b"), K_SUBSYS);
	assert_string_equal(n.nqn, "nqn.a:b");
	assert_int_equal(kind_of("/nvmet/subsystems/nqn.a:b/attr_serial"), K_ATTR);
	assert_int_equal(n.owner, K_SUBSYS);
	assert_string_equal(n.name, "attr_serial");
	assert_int_equal(kind_of("/nvmet/subsystems/nqn.a:b/namespaces"), K_NAMESPACES);
	assert_int_equal(kind_of("/nvmet/subsystems/nqn.a:b/namespaces/12"), K_NS);
	assert_true(n.nsid_ok);
	assert_int_equal(n.nsid, 12);
	assert_int_equal(kind_of("/nvmet/subsystems/nqn.a:b/namespaces/12/enable"), K_ATTR);
	assert_int_equal(n.owner, K_NS);
	assert_int_equal(n.nsid, 12);
	assert_string_equal(n.nqn, "nqn.a:b");
	assert_int_equal(kind_of("/nvmet/subsystems/nqn.a:b/allowed_hosts"), K_ALLOWED_HOSTS);
	assert_int_equal(kind_of("/nvmet/subsystems/nqn.a:b/allowed_hosts/nqn.h"), K_ALLOWED_HOST);
	assert_string_equal(n.host, "nqn.h");
	assert_int_equal(kind_of("/nvmet/ports"), K_PORTS);
	assert_int_equal(kind_of("/nvmet/ports/0"), K_PORT);
	assert_true(n.portid_ok);
	assert_int_equal(n.portid, 0);
	assert_int_equal(kind_of("/nvmet/ports/65535/addr_traddr"), K_ATTR);
	assert_int_equal(n.owner, K_PORT);
	assert_int_equal(n.portid, 65535);
	assert_int_equal(kind_of("/nvmet/ports/3/subsystems"), K_PORT_SUBSYSTEMS);
	assert_int_equal(kind_of("/nvmet/ports/3/subsystems/nqn.a:b"), K_PORT_LINK);
	assert_string_equal(n.nqn, "nqn.a:b");
	assert_int_equal(kind_of("/nvmet/ports/3/referrals"), K_REFERRALS);
	assert_int_equal(kind_of("/nvmet/ports/3/referrals/r1"), K_REFERRAL);
	assert_int_equal(kind_of("/nvmet/ports/3/ana_groups"), K_ANA_GROUPS);
	assert_int_equal(kind_of("/nvmet/ports/3/ana_groups/1"), K_ANA_GROUP);
	assert_true(n.grpid_ok);
	assert_int_equal(kind_of("/nvmet/ports/3/ana_groups/1/ana_state"), K_ATTR);
	assert_int_equal(n.owner, K_ANA_GROUP);
	assert_int_equal(kind_of("/nvmet/hosts"), K_HOSTS);
	assert_int_equal(kind_of("/nvmet/hosts/nqn.h"), K_HOST);
	assert_int_equal(kind_of("/nvmet/hosts/nqn.h/dhchap_key"), K_ATTR);
	assert_int_equal(n.owner, K_HOST);
	assert_string_equal(n.host, "nqn.h");
	assert_int_equal(kind_of("//nvmet//hosts/"), K_HOSTS); /* empty components */
}

static void test_numbers(void **state)
{
	kind_of("/nvmet/subsystems/s/namespaces/0");
	assert_false(n.nsid_ok);
	kind_of("/nvmet/subsystems/s/namespaces/01");
	assert_false(n.nsid_ok);
	kind_of("/nvmet/subsystems/s/namespaces/0x1");
	assert_false(n.nsid_ok);
	kind_of("/nvmet/subsystems/s/namespaces/4294967294");
	assert_true(n.nsid_ok);
	kind_of("/nvmet/subsystems/s/namespaces/4294967295"); /* NSID_ALL */
	assert_false(n.nsid_ok);
	kind_of("/nvmet/ports/65536");
	assert_false(n.portid_ok);
	kind_of("/nvmet/ports/-1");
	assert_false(n.portid_ok);
	kind_of("/nvmet/ports/1/ana_groups/0");
	assert_false(n.grpid_ok);
	kind_of("/nvmet/ports/1/ana_groups/129");
	assert_false(n.grpid_ok);
	uint32_t v;
	assert_false(kcfs_parse_u32("", 10, &v));
	assert_true(kcfs_parse_u32("0", 10, &v));
	assert_int_equal(v, 0);
}

static void test_no_shape(void **state)
{
	assert_int_equal(kcfs_parse("/sys", &n), -ENOENT);
	assert_int_equal(kcfs_parse("/nvmet/subsystems/s/namespaces/1/enable/x", &n), -ENOENT);
	assert_int_equal(kcfs_parse("/nvmet/subsystems/s/allowed_hosts/h/x", &n), -ENOENT);
	assert_int_equal(kcfs_parse("/nvmet/ports/1/subsystems/s/x", &n), -ENOENT);
	assert_int_equal(kcfs_parse("/nvmet/ports/1/addr_traddr/x", &n), -ENOENT);
	assert_int_equal(kcfs_parse("/nvmet/hosts/h/dhchap_key/x", &n), -ENOENT);
	assert_int_equal(kcfs_parse("/nvmet/a/b", &n), -ENOENT);
	char long_path[PATH_MAX + 10];
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = '\0';
	assert_int_equal(kcfs_parse(long_path, &n), -ENAMETOOLONG);
}

static void test_targets(void **state)
{
	const char *dir = "/nvmet/ports/0/subsystems";
	assert_int_equal(kcfs_resolve_target(dir, "/sys/kernel/config/nvmet/subsystems/nqn.a:b", &n), 0);
	assert_int_equal(n.kind, K_SUBSYS);
	assert_string_equal(n.nqn, "nqn.a:b");
	/* mounted under a path that itself holds /nvmet/: the last one counts */
	assert_int_equal(kcfs_resolve_target(dir, "/tmp/nvmet/mnt/nvmet/hosts/nqn.h", &n), 0);
	assert_int_equal(n.kind, K_HOST);
	assert_string_equal(n.host, "nqn.h");
	assert_int_equal(kcfs_resolve_target(dir, "../../../subsystems/nqn.a:b", &n), 0);
	assert_int_equal(n.kind, K_SUBSYS);
	assert_string_equal(n.nqn, "nqn.a:b");
	assert_int_equal(kcfs_resolve_target("/nvmet/subsystems/s/allowed_hosts", "./../../../hosts/./h", &n), 0);
	assert_int_equal(n.kind, K_HOST);
	assert_string_equal(n.host, "h");
	assert_int_equal(kcfs_resolve_target(dir, "../../../../../x", &n), -ENOENT); /* above the root */
	assert_int_equal(kcfs_resolve_target(dir, "/no/tree/here", &n), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_no_shape),
		cmocka_unit_test(test_targets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
