"""The workshop IDE component, as the dev stack builds it, under the shared mock engine."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from components.ide.ide import ALL_VIEWER_ORIGIN_REQUEST_POLICY, CACHING_DISABLED_POLICY
from offline.plan_model import Plan
from offline.runner import run_stack
from offline.wire import is_secret, reveal
from workshop import labs
from workshop.contract import OUTPUTS

IDE_OUTPUTS = {o.name for o in OUTPUTS if o.only_with == "ide.enabled"}


def ide_resources(run):
    return [r for r in run.resources if "eks-workshop:ide:WorkshopIde" in r.urn or r.type == "eks-workshop:ide:WorkshopIde"]


def test_dev_has_the_ide_and_prod_does_not(dev, staging, prod):
    assert len(ide_resources(dev)) > 20 and IDE_OUTPUTS <= set(dev.outputs)
    for run in (staging, prod):
        assert ide_resources(run) == [] and not IDE_OUTPUTS & set(run.outputs)


def test_ide_has_its_own_vpc_with_flow_logs_and_closed_default_group(dev):
    vpcs = {r.name: r for r in dev.of_type("aws:ec2/vpc:Vpc")}
    ide_vpc = vpcs["ide-vpc"]
    assert ide_vpc.plain_inputs["cidrBlock"] == "10.0.0.0/24"
    flow = next(r for r in dev.of_type("aws:ec2/flowLog:FlowLog") if r.name == "ide-flow-logs")
    assert flow.plain_inputs["vpcId"] == ide_vpc.id and flow.plain_inputs["trafficType"] == "ALL"
    dsg = next(r for r in dev.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup") if r.name == "ide-default-sg")
    assert dsg.plain_inputs["vpcId"] == ide_vpc.id and not dsg.plain_inputs.get("ingress")
    subnet = next(r for r in dev.of_type("aws:ec2/subnet:Subnet") if r.name == "ide-public")
    assert subnet.plain_inputs["vpcId"] == ide_vpc.id and subnet.plain_inputs["mapPublicIpOnLaunch"] is False


def test_only_cloudfront_reaches_the_instance_on_port_80(dev):
    group = next(r for r in dev.of_type("aws:ec2/securityGroup:SecurityGroup") if r.name == "ide-origin")
    assert "ingress" not in group.plain_inputs  # rules are separate resources
    ingress = [r.plain_inputs for r in dev.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
               if r.plain_inputs["securityGroupId"] == group.id]
    assert len(ingress) == 1
    (rule,) = ingress
    assert (rule["ipProtocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 80, 80)
    assert rule["prefixListId"].startswith("pl-") and "cidrIpv4" not in rule and "cidrIpv6" not in rule
    instance = dev.one("aws:ec2/instance:Instance").plain_inputs
    assert instance["vpcSecurityGroupIds"] == [group.id]
    assert "keyName" not in instance  # no SSH key: Session Manager only


def test_prefix_list_is_looked_up_by_name_for_any_region():
    run = run_stack("dev", overrides={"aws:region": "eu-south-2"})
    rule = next(r.plain_inputs for r in run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
                if r.name == "ide-origin-http")
    other = next(r.plain_inputs for r in run_stack("dev").of_type(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") if r.name == "ide-origin-http")
    assert rule["prefixListId"] != other["prefixListId"]  # answered per region, not from a table


def test_instance_is_hardened(dev):
    instance = dev.one("aws:ec2/instance:Instance")
    inputs = instance.plain_inputs
    assert inputs["instanceType"] == "t3.medium"
    assert inputs["metadataOptions"]["httpTokens"] == "required"
    assert inputs["rootBlockDevice"] == {"volumeSize": 30, "volumeType": "gp3", "encrypted": True,
                                         "deleteOnTermination": True}
    assert inputs["ami"].startswith("ami-") and instance.ignore_changes == ["ami"]
    # pulumi-aws marks SSM parameter values secret, so in a real run (and the mock) the AMI ID is one;
    # the program passes it through untouched and the plan shows it masked.
    assert is_secret(instance.inputs["ami"])
    planned = next(r for r in Plan.of_run(dev).resources if r.urn == instance.urn)
    assert planned.inputs["ami"] == "[secret]"
    profile = dev.one("aws:iam/instanceProfile:InstanceProfile")
    assert inputs["iamInstanceProfile"] == profile.outputs["name"]
    # The bootstrap runs once at boot: everything it uses must exist before the instance does.
    needed = [dev.one("aws:secretsmanager/secretVersion:SecretVersion", "ide-password"),
              dev.one("aws:secretsmanager/secretVersion:SecretVersion", "ide-origin-secret"),
              next(r for r in dev.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation") if r.name == "ide-access"),
              next(r for r in dev.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == "ide-role"),
              dev.one("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "ide-egress")]
    assert [r.name for r in needed if r.urn not in instance.dependencies] == []


def test_access_entry_waits_for_the_cluster(dev):
    cluster = dev.one("aws:eks/cluster:Cluster")
    for type_ in ("aws:eks/accessEntry:AccessEntry", "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"):
        entry = dev.one(type_, "ide-access")
        assert cluster.urn in entry.property_dependencies["clusterName"], type_


def test_role_is_scoped(dev):
    role = next(r for r in dev.of_type("aws:iam/role:Role") if r.name == "ide-role")
    trust = json.loads(role.plain_inputs["assumeRolePolicy"])["Statement"][0]
    # EC2 only: the role holds cluster-admin, and trust by ssm.amazonaws.com would serve hybrid activations.
    assert trust["Principal"] == {"Service": ["ec2.amazonaws.com"]}
    attached = [a.plain_inputs["policyArn"] for a in dev.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                if a.plain_inputs["role"] == role.outputs["name"]]
    # Session Manager, and the labs' permissions as our own managed policies (test_ide_lab_policies.py).
    lab_policies = [p.outputs["arn"] for p in dev.of_type("aws:iam/policy:Policy")]
    assert sorted(attached) == sorted(["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore", *lab_policies])
    assert len(lab_policies) == len(labs.lab_policy_documents("eks-workshop", "ap-northeast-2")) > 0
    inline = next(r for r in dev.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == "ide-role")
    statements = json.loads(inline.plain_inputs["policy"])["Statement"]
    secrets = [dev.one("aws:secretsmanager/secret:Secret", n).outputs["arn"] for n in ("ide-password", "ide-origin-secret")]
    cluster = dev.one("aws:eks/cluster:Cluster")
    assert [(s["Action"], s["Resource"]) for s in statements] == [
        ("secretsmanager:GetSecretValue", secrets), ("eks:DescribeCluster", cluster.outputs["arn"])]
    assert "AdministratorAccess" not in json.dumps([r.plain_inputs for r in ide_resources(dev)])


def test_role_is_cluster_admin_through_an_access_entry(dev):
    role = next(r for r in dev.of_type("aws:iam/role:Role") if r.name == "ide-role")
    entry = next(r for r in dev.of_type("aws:eks/accessEntry:AccessEntry") if r.name == "ide-access").plain_inputs
    assoc = next(r for r in dev.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
                 if r.name == "ide-access").plain_inputs
    assert entry["principalArn"] == role.outputs["arn"] and entry["clusterName"] == "eks-workshop"
    assert assoc["policyArn"].endswith("cluster-access-policy/AmazonEKSClusterAdminPolicy")
    assert assoc["accessScope"] == {"type": "cluster"}


def test_origin_answers_only_our_distribution(dev, bootstrap):
    """The prefix list admits every CloudFront distribution: ours adds a secret header nginx requires."""
    version = dev.one("aws:secretsmanager/secretVersion:SecretVersion", "ide-origin-secret")
    value = json.loads(reveal(version.inputs["secretString"]))["value"]
    assert len(value) == 32 and is_secret(version.inputs["secretString"])
    (origin,) = dev.one("aws:cloudfront/distribution:Distribution").inputs["origins"]
    (header,) = origin["customHeaders"]
    assert header["name"] == "X-Origin-Verify" and is_secret(header["value"]) and reveal(header["value"]) == value
    text = bootstrap.read_text()
    assert "readonly ORIGIN_SECRET_NAME=eks-workshop-ide-origin-token" in text
    assert 'map \\$http_x_origin_verify \\$from_our_distribution { "${origin_secret}" 1; default 0; }' in text
    assert "if (\\$from_our_distribution = 0) { return 403; }" in text
    # The readiness check goes through the proxy with the header, read from a root-only file.
    assert 'curl -fsS -o /dev/null -H "@$ROOT/run/eks-workshop-ide/origin-header" http://127.0.0.1/healthz' in text
    # The value is nowhere in plain sight: not in the plan, the outputs or the user data.
    assert value not in Plan.of_run(dev).dumps() and value not in json.dumps(reveal(dev.outputs))
    assert value not in text
    behavior = dev.one("aws:cloudfront/distribution:Distribution").plain_inputs["defaultCacheBehavior"]
    assert behavior["responseHeadersPolicyId"] == "67f7725c-6f97-4210-82d7-5512b31e9d03"  # Managed-SecurityHeadersPolicy


def test_password_is_generated_32_characters_and_only_ever_secret(dev):
    password = dev.one("random:index/randomPassword:RandomPassword", "ide-password")
    assert password.plain_inputs["length"] == 32 and is_secret(password.outputs["result"])
    version = dev.one("aws:secretsmanager/secretVersion:SecretVersion", "ide-password")
    assert is_secret(version.inputs["secretString"])
    value = json.loads(reveal(version.inputs["secretString"]))
    assert list(value) == ["password"] and len(value["password"]) == 32
    assert dev.one("aws:secretsmanager/secret:Secret", "ide-password").plain_inputs["name"] == "eks-workshop-ide-password"
    # Nowhere in plain sight: not in outputs, not in the plan file, not in the bootstrap.
    assert value["password"] not in Plan.of_run(dev).dumps()
    assert value["password"] not in json.dumps(reveal(dev.outputs))
    assert value["password"] not in dev.one("aws:ec2/instance:Instance").plain_inputs["userData"]


def test_cloudfront_redirects_to_https_and_caches_nothing(dev):
    cdn = dev.one("aws:cloudfront/distribution:Distribution").plain_inputs
    behavior = cdn["defaultCacheBehavior"]
    assert behavior["viewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["cachePolicyId"] == CACHING_DISABLED_POLICY
    assert behavior["originRequestPolicyId"] == ALL_VIEWER_ORIGIN_REQUEST_POLICY
    assert sorted(behavior["allowedMethods"]) == ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
    (origin,) = cdn["origins"]
    assert origin["domainName"] == dev.one("aws:ec2/instance:Instance").outputs["publicDns"]
    assert origin["customOriginConfig"]["originProtocolPolicy"] == "http-only"
    assert origin["customOriginConfig"]["httpPort"] == 80


def test_ide_outputs(dev):
    outputs = reveal(dev.outputs)
    cdn = dev.one("aws:cloudfront/distribution:Distribution")
    assert outputs["ideUrl"] == f"https://{cdn.outputs['domainName']}"
    assert outputs["idePasswordSecretName"] == "eks-workshop-ide-password"
    assert outputs["idePasswordSecret"] == ("https://ap-northeast-2.console.aws.amazon.com/secretsmanager/secret"
                                            "?name=eks-workshop-ide-password&region=ap-northeast-2")
    # Named as the workshop names it, so that dev-auto can make it admin by ARN.
    assert outputs["ideRoleArn"] == "arn:aws:iam::111122223333:role/eks-workshop-ide-role"  # dev's pinned account
    # the ARN dev-auto makes cluster-admin by name: the same role, one account
    from offline.runner import load_stack_config

    assert outputs["ideRoleArn"] in load_stack_config("dev-auto")["eks-workshop:cluster"]["adminPrincipals"]
    assert not any(is_secret(dev.outputs[k]) for k in IDE_OUTPUTS)


# ------------------------------------------------------------------ the bootstrap


@pytest.fixture
def bootstrap(dev, tmp_path):
    path = tmp_path / "bootstrap.sh"
    path.write_text(dev.one("aws:ec2/instance:Instance").plain_inputs["userData"])
    return path


def test_bootstrap_has_the_stacks_values(bootstrap):
    text = bootstrap.read_text()
    for line in ("readonly CODE_SERVER_VERSION=4.96.4", "readonly REPOSITORY_OWNER=aws-samples",
                 "readonly REPOSITORY_NAME=eks-workshop-v2", "readonly REPOSITORY_REF=stable",
                 "readonly CLUSTER_NAME=eks-workshop", "readonly CLUSTER_AUTO_NAME=eks-workshop-auto",
                 "readonly RESOURCES_PRECREATED=false", "readonly INBOUND_CIDRS=0.0.0.0/0",
                 "readonly PASSWORD_SECRET_NAME=eks-workshop-ide-password"):
        assert line in text.splitlines()
    assert "@@VALUES@@" not in text and text.startswith("#!/bin/bash")
    assert "bind-addr: 127.0.0.1:%s" in text and "listen 80 default_server" in text
    assert 'echo "EKS-WORKSHOP-IDE-READY"' in text


def test_bootstrap_quotes_values():
    from components.ide.ide import render_bootstrap
    from wiring import ide_args
    from workshop.config import parse

    args = ide_args(parse({"aws:region": "ap-northeast-2"}), "x", "arn:aws:eks:ap-northeast-2:1:cluster/x")
    text = render_bootstrap(args, "name with space; rm -rf /")
    assert "readonly CLUSTER_NAME='name with space; rm -rf /'" in text


def test_bootstrap_is_valid_bash(bootstrap):
    subprocess.run(["bash", "-n", str(bootstrap)], check=True)


def test_bootstrap_passes_shellcheck(bootstrap):
    if shutil.which("shellcheck") is None:
        if os.environ.get("CI"):
            pytest.fail("shellcheck is missing: .ci/run installs it (Debian package shellcheck)")
        pytest.skip("shellcheck not installed (apt-get install shellcheck)")
    result = subprocess.run(["shellcheck", "--shell=bash", "--severity=style", str(bootstrap)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
