"""Networks across stacks (offline/across_stacks.py): where stacks meet (one account and region, or one
gateway), their VPCs, remote node networks and advertised pod networks must not overlap."""

from __future__ import annotations

from offline.across_stacks import ClusterIdentity, clashes, network_overlaps
from workshop.project import ROOT


def stack(name: str, vpc: str, accounts=("111122223333",), region="ap-northeast-2", nodes=(), pods=(),
          gateway="") -> ClusterIdentity:
    return ClusterIdentity(name, f"cluster-{name}", region, frozenset(accounts) if accounts is not None else None,
                           vpc_cidr=vpc, remote_nodes=tuple(nodes), remote_pods=tuple(pods), gateway=gateway,
                           where=(("eks-workshop:network.vpcCidr", f"Pulumi.{name}.yaml:9:5"),))


def test_the_committed_stacks_meet_without_overlapping():
    assert clashes(ROOT) == ({}, {})


def test_vpcs_in_one_account_and_region_must_not_overlap():
    errors, warnings = network_overlaps([stack("a", "10.42.0.0/16"), stack("b", "10.42.128.0/17")])
    expected = ("Pulumi.a.yaml:9:5: eks-workshop:network.vpcCidr 10.42.0.0/16 overlaps Pulumi.b.yaml:9:5: "
                "eks-workshop:network.vpcCidr 10.42.128.0/17 (both in account 111122223333, ap-northeast-2): give each "
                "its own")
    assert errors == {"a": [expected], "b": [expected]} and warnings == {}
    # Another account, another region, or no overlap: nothing.
    for other in (stack("b", "10.42.0.0/16", accounts=("999988887777",)), stack("b", "10.42.0.0/16", region="eu-west-1"),
                  stack("b", "10.43.0.0/16")):
        assert network_overlaps([stack("a", "10.42.0.0/16"), other]) == ({}, {})


def test_an_account_not_pinned_is_a_warning():
    errors, warnings = network_overlaps([stack("a", "10.42.0.0/16"), stack("b", "10.42.0.0/16", accounts=None)])
    assert errors == {} and warnings["b"][0].endswith(
        "(both in ap-northeast-2, and they share an account unless each pins its own): give each its own")


def test_stacks_on_one_gateway_meet_whatever_their_accounts():
    a = stack("a", "10.44.0.0/16", accounts=("1",), nodes=["10.52.0.0/16"], pods=["10.53.0.0/16"], gateway="tgw-1")
    b = stack("b", "10.44.0.0/16", accounts=("2",), nodes=["10.52.0.0/16"], pods=["10.53.0.0/16"], gateway="tgw-1")
    errors, _ = network_overlaps([a, b])
    assert [e.split(" (")[0] for e in errors["a"]] == [
        "Pulumi.a.yaml:9:5: eks-workshop:network.vpcCidr 10.44.0.0/16 overlaps Pulumi.b.yaml:9:5: "
        "eks-workshop:network.vpcCidr 10.44.0.0/16",
        "Pulumi.a.yaml: eks-workshop:cluster.remoteNetworks.pods 10.53.0.0/16 overlaps Pulumi.b.yaml: "
        "eks-workshop:cluster.remoteNetworks.pods 10.53.0.0/16: both are advertised on-premises through the gateway, "
        "which routes one CIDR to one place"]
    assert all(e.endswith("(both route through tgw-1): give each its own") for e in errors["a"])
    # One on-premises node network for both clusters is fine; their own VPCs and pod networks make it clean.
    b = stack("b", "10.45.0.0/16", accounts=("2",), nodes=["10.52.0.0/16"], pods=["10.54.0.0/16"], gateway="tgw-1")
    assert network_overlaps([a, b]) == ({}, {})


def test_a_remote_node_network_cannot_be_another_stacks_vpc():
    a = stack("a", "10.42.0.0/16", nodes=["10.43.0.0/16"])
    errors, _ = network_overlaps([a, stack("b", "10.43.0.0/16")])
    assert errors["a"] == [
        "Pulumi.a.yaml: eks-workshop:cluster.remoteNetworks.nodes 10.43.0.0/16 overlaps Pulumi.b.yaml:9:5: "
        "eks-workshop:network.vpcCidr 10.43.0.0/16: a remote node network can't be another stack's VPC (both in "
        "account 111122223333, ap-northeast-2): give each its own"]
