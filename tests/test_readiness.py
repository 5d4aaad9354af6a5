"""The readiness gate: a probe workload on the default node group, created after nodes and add-ons."""

from __future__ import annotations

from offline.runner import run_stack


def test_dev_and_staging_have_the_gate_prod_does_not(dev, staging, prod):
    assert len(dev.of_type("kubernetes:apps/v1:Deployment")) == 1
    assert len(staging.of_type("kubernetes:apps/v1:Deployment")) == 1
    assert [r for r in prod.resources if r.type.startswith("kubernetes:")] == []


def test_gate_is_pinned_to_the_default_node_group_with_probes(dev):
    deployment = dev.one("kubernetes:apps/v1:Deployment").plain_inputs
    pod = deployment["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == dev.one("aws:eks/nodeGroup:NodeGroup").plain_inputs["labels"]
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/", "port": 8080}
    assert container["livenessProbe"]["httpGet"] == {"path": "/", "port": 8080}
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["runAsNonRoot"] is True
    service = dev.one("kubernetes:core/v1:Service").plain_inputs
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"][0]["targetPort"] == "http"


def test_gate_runs_on_the_cluster_after_nodes_and_addons(dev):
    provider = dev.one("pulumi:providers:kubernetes")
    deployment = dev.one("kubernetes:apps/v1:Deployment")
    assert deployment.provider.startswith(provider.urn)
    assert dev.one("aws:eks/nodeGroup:NodeGroup").urn in deployment.dependencies
    coredns = next(r for r in dev.of_type("aws:eks/addon:Addon") if r.name == "addons-coredns")
    assert coredns.urn in deployment.dependencies
    assert dev.one("kubernetes:core/v1:Service").urn != deployment.urn


def test_gate_follows_the_config_switch():
    run = run_stack("dev", overrides={"eks-workshop:readinessGate": False})
    assert [r for r in run.resources if r.type.startswith("kubernetes:")] == []
