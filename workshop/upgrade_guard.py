"""The live upgrade guard: before anything changes, read what runs in the account and refuse the
version moves EKS would reject, or that would leave nodes outside the Kubernetes skew rules.

Static validation (workshop/config) judges the stack file alone. This judges it against the
cluster as it is: in `pulumi preview` and `pulumi up` the program reads the cluster (if it exists) and
its node groups through pulumi-aws data sources, and checks that every pinned AMI release has its
public SSM parameter in the region. Under the offline mock engine the same reads are answered by
`offline.mocks.WorkshopMocks(live=...)`; with no existing cluster the guard passes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi_aws as aws

from workshop import versions
from workshop.config import ConfigError, ResolvedStackConfig
from workshop.project import PROJECT


@dataclass(frozen=True)
class LiveCluster:
    """What runs now: the control plane's version and each node group's."""

    version: str
    node_groups: Mapping[str, str] = field(default_factory=dict)


def upgrade_problems(cfg: ResolvedStackConfig, live: LiveCluster) -> list[str]:
    """Every reason EKS would reject moving `live` to what `cfg` asks for, as `key: value rule` lines."""
    key = f"{PROJECT}:cluster.version"
    target, now = cfg.cluster.version, live.version
    step = versions.minor(target) - versions.minor(now)
    rollback = cfg.cluster.rollback
    problems: list[str] = []
    if step > 1:
        problems.append(f"{key}: {target!r} is {step} minors above the running {now}: EKS upgrades one minor "
                        f"at a time; set 1.{versions.minor(now) + 1}, run `pulumi up`, then move on")
    elif step == 1:
        for name, version in sorted(live.node_groups.items()):
            if version != now:
                problems.append(
                    f"{PROJECT}:nodeGroups.{name}.version: node group {name} runs {version} while the control "
                    f"plane runs {now}: EKS upgrades the control plane to {target} only when every node group "
                    f"matches it; move {name} to {now} first")
    elif step < 0:
        if not rollback.from_version:
            problems.append(
                f"{key}: {target!r} is below the running {now}: a downgrade; EKS rolls back one minor within "
                f"{versions.ROLLBACK_WINDOW_DAYS} days of an upgrade: set cluster.rollback (fromVersion "
                f"{now}, upgradedOn) to mean it, or keep {now}")
        elif rollback.from_version != now:
            problems.append(f"{PROJECT}:cluster.rollback.fromVersion: {rollback.from_version!r} but the cluster "
                            f"runs {now}: a rollback starts from the running version")
        else:
            for name, version in sorted(live.node_groups.items()):
                if versions.minor(version) > versions.minor(target):
                    problems.append(
                        f"{PROJECT}:nodeGroups.{name}.version: node group {name} runs {version}, newer than the "
                        f"rolled-back control plane {target}: roll the node groups back first "
                        f"(nodeGroups.{name}.version: \"{target}\", `pulumi up`), then the control plane")
    for name, group in cfg.node_groups.items():
        running = live.node_groups.get(name)
        if running and versions.minor(group.version) < versions.minor(running) and not rollback.from_version:
            problems.append(f"{PROJECT}:nodeGroups.{name}.version: {group.version!r} is below the running "
                            f"{running}: node groups are not downgraded outside a cluster.rollback")
    return problems


def read_live_cluster(cluster_name: str) -> LiveCluster | None:
    """The cluster of this name in the stack's account and region, or None where there is none yet."""
    if cluster_name not in (aws.eks.get_clusters().names or []):
        return None
    cluster = aws.eks.get_cluster(name=cluster_name)
    groups = aws.eks.get_node_groups(cluster_name=cluster_name).names or []
    return LiveCluster(version=cluster.version, node_groups={
        config_key(name): aws.eks.get_node_group(cluster_name=cluster_name, node_group_name=name).version
        for name in sorted(groups)})


def config_key(live_name: str) -> str:
    """The nodeGroups key of a running group: its name, or `<key>` of Pulumi's `nodes-<key>-<7 hex>`
    (generatedName)."""
    generated = re.fullmatch(r"nodes-(.+)-[0-9a-f]{7}", live_name)
    return generated.group(1) if generated else live_name


def ssm_parameter_not_found(name: str) -> str:
    """What pulumi-aws's getParameter says of a parameter the region doesn't have (terraform-provider-aws
    internal/service/ssm: dataParameterRead wraps findParameterByName's retry.NotFoundError, whose text
    is "couldn't find resource"); the engine reports it inside the invoke's error."""
    return f"reading SSM Parameter ({name}): couldn't find resource"


def missing_ami_releases(cfg: ResolvedStackConfig) -> list[str]:
    """A problem for each pinned AMI release without its public SSM parameter in the stack's region."""
    problems = []
    for name, group in cfg.node_groups.items():
        parameter = versions.ami_release_parameter(group.version, group.ami_type, group.release_version)
        if parameter is None:
            continue
        key = f"{PROJECT}:nodeGroups.{name}.releaseVersion"
        try:
            aws.ssm.get_parameter(name=parameter)
        except Exception as e:  # noqa: BLE001 - a failed invoke reaches the program as a plain Exception
            # Not there; any other failure is reported as it is.
            if ssm_parameter_not_found(parameter) in str(e):
                problems.append(f"{key}: {group.release_version!r} ({group.ami_type}) has no public SSM "
                                f"parameter {parameter} in {cfg.region}: pick a release published there")
            else:
                problems.append(f"{key}: {group.release_version!r} could not be checked in {cfg.region}: {e}")
    return problems


def check(cfg: ResolvedStackConfig) -> None:
    """Raise ConfigError (no traceback, nothing registered) if the live state makes this config unsafe."""
    problems = missing_ami_releases(cfg)
    live = read_live_cluster(cfg.cluster.name)
    if live is not None:
        problems += upgrade_problems(cfg, live)
    if problems:
        raise ConfigError(problems)
