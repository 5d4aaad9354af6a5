"""Version resolution: every pin checked against the catalogue, and `catalogue` pins filled in from it.

What comes out is a ResolvedStackConfig: its node groups name their Kubernetes minor and AMI release,
vpc-cni and the add-ons their versions. Its classes are the model's, narrowed, so code that needs
concrete versions (wiring, the components' Args) says so in its types and can't be handed a config
as written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from pydantic import model_validator

from workshop import versions
from workshop.config.errors import Problems
from workshop.config.model import NodeGroupConfig, StackConfig, VpcCniConfig, auto_mode_runs_itself
from workshop.config.rules import CATALOGUE, K8S_VERSION, RELEASE_VERSION
from workshop.project import PROJECT


def _concrete(value: str, what: str) -> str:
    if not value or value == CATALOGUE:
        raise ValueError(f"{what} {value!r} is not resolved: build the config with workshop.config.parse")
    return value


class ResolvedNodeGroupConfig(NodeGroupConfig):
    """A node group whose `version` is the minor its nodes run and `release_version` an AMI release."""

    @model_validator(mode="after")
    def _versions_concrete(self) -> ResolvedNodeGroupConfig:
        _concrete(self.version, "version")
        _concrete(self.release_version, "releaseVersion")
        return self


class ResolvedVpcCniConfig(VpcCniConfig):
    """vpc-cni's settings with `version` an add-on version, never `catalogue`."""

    @model_validator(mode="after")
    def _version_concrete(self) -> ResolvedVpcCniConfig:
        _concrete(self.version, "vpcCni.version")
        return self


class ResolvedStackConfig(StackConfig):
    """A valid stack config with every version pin concrete: what workshop.config.parse returns."""

    node_groups: Mapping[str, ResolvedNodeGroupConfig]
    vpc_cni: ResolvedVpcCniConfig
    addons: Mapping[str, str]

    @model_validator(mode="after")
    def _addon_versions_concrete(self) -> ResolvedStackConfig:
        for name, version in self.addons.items():
            _concrete(version, f"addons.{name}")
        return self


def resolve_versions(cfg: StackConfig, as_of: dt.date, problems: Problems) -> ResolvedStackConfig | None:
    """The config with every version pin concrete, or None and problems explaining which pin can't be."""
    p = f"{PROJECT}:"
    cat = versions.catalogue()
    c = cfg.cluster
    known = ", ".join(cat.names)
    if not K8S_VERSION.match(c.version):
        problems.add(f"{p}cluster.version", f"{c.version!r} is not a Kubernetes minor version like "
                                            f"\"{cat.default}\" (quote it in YAML)")
        return None
    control_plane = cat.get(c.version)
    if control_plane is None:
        problems.add(f"{p}cluster.version", f"{c.version!r} is not in the version catalogue ({known}; "
                                            "workshop/kubernetes_versions.json)")
        return None
    support = control_plane.support(as_of)
    if support == "ended":
        successor = cat.get(f"1.{control_plane.minor + 1}")
        problems.add(f"{p}cluster.version",
                     f"{c.version!r} left EKS extended support on {control_plane.extended_support_ends} "
                     f"(plan date {as_of}): EKS creates no {c.version} cluster and upgrades existing ones "
                     f"itself; move to {successor.version if successor else 'a newer version'}")
    elif support == "unreleased":
        problems.add(f"{p}cluster.version",
                     f"{c.version!r} is not released on EKS until {control_plane.released} (plan date {as_of})")
    _validate_rollback(cfg, control_plane, as_of, problems)

    def addon_pin(key: str, name: str, pinned: str) -> str:
        if pinned != CATALOGUE:
            if name == "kube-proxy" and not pinned.startswith(f"v{c.version}."):
                problems.add(key, f"{pinned!r} is for another Kubernetes minor: kube-proxy must match the "
                                  f"cluster version {c.version} (v{c.version}.x)")
            return pinned
        found = control_plane.addons.get(name)
        if found is None:
            problems.add(key, f"{CATALOGUE!r}: the catalogue has no {name} version for Kubernetes {c.version}; "
                              "pin one explicitly")
            return pinned
        return found.version

    vpc_cni_version = addon_pin(f"{p}vpcCni.version", "vpc-cni", cfg.vpc_cni.version)
    # Auto Mode runs the networking add-ons and CoreDNS itself: the default set leaves them out (a stack that
    # lists one is refused by the model), but for what hybrid nodes need.
    its_own = auto_mode_runs_itself(cfg)
    wanted = {name: pinned for name, pinned in cfg.addons.items() if name not in its_own}
    addons = {name: addon_pin(f"{p}addons.{name}", name, pinned) for name, pinned in wanted.items()}

    groups: dict[str, ResolvedNodeGroupConfig] = {}
    for name, g in cfg.node_groups.items():
        key = f"{p}nodeGroups.{name}"
        version = g.version or c.version
        nodes = cat.get(version) if K8S_VERSION.match(version) else None
        if nodes is None:
            problems.add(f"{key}.version", f"{g.version!r} is not in the version catalogue ({known})")
            continue
        if nodes.minor > control_plane.minor:
            problems.add(f"{key}.version", f"{version!r} is newer than the control plane's {c.version}: "
                                           "kubelet may never be newer than the API server")
        elif control_plane.minor - nodes.minor > versions.MAX_KUBELET_SKEW:
            problems.add(f"{key}.version",
                         f"{version!r} is {control_plane.minor - nodes.minor} minors behind the control "
                         f"plane's {c.version}: kubelet may lag by at most {versions.MAX_KUBELET_SKEW}")
        family = g.ami_type.split("_", 1)[0]
        last = versions.AMI_FAMILY_LAST_MINOR.get(family)
        if last is not None and nodes.minor > last:
            problems.add(f"{key}.amiType", f"{g.ami_type!r}: EKS publishes no {family} AMI for Kubernetes {version} "
                                           f"(1.{last} was the last); use AL2023_x86_64_STANDARD or AL2023_ARM_64_STANDARD")
            continue
        release = g.release_version
        if release == CATALOGUE:
            found = nodes.ami_releases.get(g.ami_type)
            if found is None:
                problems.add(f"{key}.releaseVersion",
                             f"{CATALOGUE!r}: the catalogue has no {g.ami_type} release for Kubernetes "
                             f"{version}; pin releaseVersion explicitly")
            else:
                release = found.version
        elif (m := RELEASE_VERSION.match(release)) and m.group(1) != version:
            problems.add(f"{key}.releaseVersion", f"{release!r} is for Kubernetes {m.group(1)}, not the node "
                                                  f"group's {version}")
        if release != CATALOGUE:
            groups[name] = ResolvedNodeGroupConfig(**{**dict(g), "version": version, "release_version": release})

    if problems:
        return None
    return ResolvedStackConfig(**{**dict(cfg), "node_groups": groups, "addons": addons,
                                  "vpc_cni": ResolvedVpcCniConfig(**{**dict(cfg.vpc_cni), "version": vpc_cni_version})})


def _validate_rollback(cfg: StackConfig, control_plane: versions.KubernetesVersion, as_of: dt.date,
                       problems: Problems) -> None:
    """A rollback is allowed only as EKS allows it: one minor, within its window, into a supported policy."""
    c, rk = cfg.cluster, f"{PROJECT}:cluster.rollback"
    r = c.rollback
    if not (r.from_version or r.upgraded_on):
        return
    if not (r.from_version and r.upgraded_on):
        problems.add(rk, "set both fromVersion and upgradedOn, or neither")
        return
    if versions.catalogue().get(r.from_version) is None or versions.minor(r.from_version) != control_plane.minor + 1:
        problems.add(f"{rk}.fromVersion", f"{r.from_version!r} must be one minor above cluster.version "
                                          f"{c.version}: EKS rolls back one minor only")
    try:
        upgraded = dt.date.fromisoformat(r.upgraded_on)
    except ValueError:
        problems.add(f"{rk}.upgradedOn", f"{r.upgraded_on!r} is not a date like 2026-11-20")
        return
    age = (as_of - upgraded).days
    if not 0 <= age <= versions.ROLLBACK_WINDOW_DAYS:
        problems.add(f"{rk}.upgradedOn", f"{r.upgraded_on} is {age} days before the plan date {as_of}: EKS "
                                         f"rolls back only within {versions.ROLLBACK_WINDOW_DAYS} days of the "
                                         "upgrade; past that, move forward or rebuild")
    if control_plane.support(as_of) == "extended" and c.upgrade_support_type != "EXTENDED":
        problems.add(f"{PROJECT}:cluster.upgradeSupportType",
                     f"{c.upgrade_support_type!r}: rolling back into {c.version}, which is in extended "
                     "support, needs EXTENDED first (EKS rollback prerequisite)")
