"""examples/consumer: another team's program, reading the dev stack's real outputs by StackReference."""

from __future__ import annotations

import gc
import warnings
from pathlib import Path

import pytest
import yaml

from offline.mocks import WorkshopMocks
from offline.runner import run_function, run_program
from offline.wire import is_secret, reveal

CONSUMER = Path(__file__).resolve().parent.parent / "examples" / "consumer"


@pytest.fixture
def consumer(dev):
    config = yaml.safe_load((CONSUMER / "Pulumi.dev.yaml").read_text())["config"]
    platform = config["workshop-consumer:platformStack"]
    mocks = WorkshopMocks("ap-northeast-2", stack_references={platform: dev.outputs})
    return run_program("dev", config, CONSUMER / "__main__.py", project="workshop-consumer", mocks=mocks)


def test_reads_the_platform_stack_by_reference(consumer, dev):
    ref = consumer.one("pulumi:pulumi:StackReference")
    assert ref.plain_inputs["name"] == "organization/eks-workshop/dev"
    assert reveal(consumer.outputs["clusterName"]) == "eks-workshop"
    assert reveal(consumer.outputs["hybridNodesRoleArn"]) == reveal(dev.outputs["hybridNodesRoleArn"])
    assert ":role/hybrid-nodes-role-" in reveal(consumer.outputs["hybridNodesRoleArn"])


def test_builds_its_provider_from_the_secret_kubeconfig(consumer, dev):
    provider = consumer.one("pulumi:providers:kubernetes")
    assert is_secret(provider.inputs["kubeconfig"])
    assert reveal(provider.inputs["kubeconfig"]) == reveal(dev.outputs["kubeconfig"])
    for r in consumer.resources:
        if r.type.startswith("kubernetes:"):
            assert r.provider.startswith(provider.urn), r.name


def test_runs_its_workload_on_the_workshop_nodes(consumer, dev):
    namespace = consumer.one("kubernetes:core/v1:Namespace").plain_inputs
    assert namespace["metadata"]["name"] == "team-catalog"
    deployment = consumer.one("kubernetes:apps/v1:Deployment").plain_inputs
    assert deployment["metadata"]["namespace"] == "team-catalog"
    pod = deployment["spec"]["template"]["spec"]
    # The label the platform's default node group carries, straight from the platform's config.
    platform_labels = dev.one("aws:eks/nodeGroup:NodeGroup").plain_inputs["labels"]
    assert pod["nodeSelector"] == {"workshop-default": "yes"} == platform_labels
    assert deployment["spec"]["replicas"] == 2
    service = consumer.one("kubernetes:core/v1:Service").plain_inputs
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]


# The SDK drops two coroutines of its own unawaited when a stack reference's read fails mid-run (warned as
# they go, before the run returns); what the failed run leaves behind the runner closes (offline/runner.py).
@pytest.mark.filterwarnings("ignore:coroutine 'Output.(future|is_known)' was never awaited:RuntimeWarning")
def test_unknown_platform_stack_fails_loudly(dev):
    mocks = WorkshopMocks("ap-northeast-2", stack_references={})
    config = {"workshop-consumer:platformStack": "organization/eks-workshop/nope"}
    with pytest.raises(Exception, match="no outputs for stack reference 'organization/eks-workshop/nope'") as failed:
        run_program("dev", config, CONSUMER / "__main__.py", project="workshop-consumer", mocks=mocks)
    # Nothing of the failed run warns later, in whatever runs when it is let go: here the next run, which
    # drops what the SDK still holds of the last one.
    del failed  # its traceback holds the run's frames
    with warnings.catch_warnings(record=True) as later:
        warnings.simplefilter("always")
        run_function("next", {"aws:region": "ap-northeast-2"}, lambda: None)
        gc.collect()
    assert [str(w.message) for w in later if "never awaited" in str(w.message)] == []


def test_reads_the_roles_anywhere_outputs_of_an_ira_stack():
    """An IRA stack exports its trust anchor and profile; the consumer passes them to the on-premises team."""
    import json

    from offline.runner import load_stack_config, run_stack

    cluster = json.loads(json.dumps(load_stack_config("dev")["eks-workshop:cluster"]))
    cluster["remoteNetworks"]["iam"] = {"provider": "IRA", "caBundle": "-----BEGIN CERTIFICATE-----\nMIIB\n"
                                                                      "-----END CERTIFICATE-----\n"}
    ira = run_stack("dev", overrides={"eks-workshop:cluster": cluster})
    config = yaml.safe_load((CONSUMER / "Pulumi.dev.yaml").read_text())["config"]
    mocks = WorkshopMocks("ap-northeast-2", stack_references={config["workshop-consumer:platformStack"]: ira.outputs})
    consumer = run_program("dev", config, CONSUMER / "__main__.py", project="workshop-consumer", mocks=mocks)
    for name in ("hybridNodesTrustAnchorArn", "hybridNodesProfileArn"):
        assert reveal(consumer.outputs[name]) == reveal(ira.outputs[name])
    assert ":trust-anchor/" in reveal(consumer.outputs["hybridNodesTrustAnchorArn"])
