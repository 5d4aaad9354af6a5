"""The Kubernetes version catalogue: one data file, `workshop/kubernetes_versions.json`, read here.

For each EKS Kubernetes minor version it records the EKS calendar (release, end of standard and of
extended support) and the version-bound pins that go with it: the managed add-on versions and a node
AMI release per AMI family. Every figure names its source; a figure nobody could confirm is kept with
`"confirmed": false`: the default version has none, and a stack that moves to a version with one plans
with a warning naming it.

The config model resolves every pin the stack leaves out from here, the estimator prices the control
plane by this calendar, and the policy pack reads a copy of the same file (policies/guardrails/),
so one edit moves the program, the plan, the cost and the guardrails together.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CATALOGUE_FILE = Path(__file__).resolve().parent / "kubernetes_versions.json"
# The policy pack runs standalone under the Pulumi CLI: it carries a copy (`make docs` writes it).
POLICY_PACK_COPY = Path(__file__).resolve().parent.parent / "policies" / "guardrails" / "kubernetes_versions.json"

# EKS moves a control plane one minor at a time; kubelet may lag the API server by three minors.
MAX_KUBELET_SKEW = 3
# EKS rolls a control plane back one minor within this many days of an in-place upgrade.
ROLLBACK_WINDOW_DAYS = 7
# AMI families that end: "Kubernetes version 1.32 is the last version for which Amazon EKS will release
# AL2 AMIs" (EKS user guide, Amazon Linux 2 end of support). AL2023 goes on.
AMI_FAMILY_LAST_MINOR = {"AL2": 32}
# A stack planned this close to the end of standard support is warned (and fails prod's policy).
STANDARD_SUPPORT_WARNING_DAYS = 60


# The date support windows are judged on: today, or what `make plan --as-of` (and tests) set.
AS_OF_ENV = "EKS_WORKSHOP_AS_OF"


def plan_date() -> dt.date:
    value = os.environ.get(AS_OF_ENV)
    return dt.date.fromisoformat(value) if value else dt.date.today()


@dataclass(frozen=True)
class Pin:
    """One pinned version with where it comes from."""

    version: str
    source: str
    confirmed: bool


@dataclass(frozen=True)
class KubernetesVersion:
    version: str
    released: dt.date
    standard_support_ends: dt.date
    extended_support_ends: dt.date
    addons: Mapping[str, Pin]  # add-on name (vpc-cni included) -> pin
    ami_releases: Mapping[str, Pin]  # node group amiType -> pinned AMI release

    @property
    def minor(self) -> int:
        return minor(self.version)

    def support(self, as_of: dt.date) -> str:
        """unreleased | standard | extended | ended: EKS's support for this version on a date."""
        if as_of < self.released:
            return "unreleased"
        if as_of <= self.standard_support_ends:
            return "standard"
        if as_of <= self.extended_support_ends:
            return "extended"
        return "ended"

    def days_left(self, as_of: dt.date) -> tuple[int, int]:
        """Days until the end of standard and of extended support (negative once past)."""
        return (self.standard_support_ends - as_of).days, (self.extended_support_ends - as_of).days

    @property
    def confirmed(self) -> bool:
        """Every pin confirmed by a public source: only such a version may be the default."""
        return all(p.confirmed for p in (*self.addons.values(), *self.ami_releases.values()))


@dataclass(frozen=True)
class Catalogue:
    default: str
    taken: dt.date
    addon_names: tuple[str, ...]
    ami_types: tuple[str, ...]
    sources: Mapping[str, str]
    versions: Mapping[str, KubernetesVersion]

    def get(self, version: str) -> KubernetesVersion | None:
        return self.versions.get(version)

    @property
    def names(self) -> list[str]:
        return sorted(self.versions, key=minor)


def minor(version: str) -> int:
    """The minor number of a Kubernetes version like "1.35" or "1.35.6-20260625"."""
    return int(version.split(".")[1].split("-")[0])


def _pin(raw: Mapping, sources: Mapping[str, str]) -> Pin:
    return Pin(version=raw["version"], source=sources.get(raw["source"], raw["source"]),
               confirmed=bool(raw.get("confirmed", True)))


def parse_catalogue(data: Mapping) -> Catalogue:
    sources = {k: v.get("url") or v["what"] for k, v in data["sources"].items()}
    versions = {}
    for name, v in data["versions"].items():
        versions[name] = KubernetesVersion(
            version=name,
            released=dt.date.fromisoformat(v["released"]),
            standard_support_ends=dt.date.fromisoformat(v["standardSupportEnds"]),
            extended_support_ends=dt.date.fromisoformat(v["extendedSupportEnds"]),
            addons={a: _pin(p, sources) for a, p in v["addons"].items()},
            ami_releases={t: _pin(p, sources) for t, p in v["amiReleases"].items()},
        )
    return Catalogue(default=data["default"], taken=dt.date.fromisoformat(data["taken"]),
                     addon_names=tuple(data["addons"]), ami_types=tuple(data["amiTypes"]),
                     sources=sources, versions=versions)


@cache
def catalogue(path: Path = CATALOGUE_FILE) -> Catalogue:
    return parse_catalogue(json.loads(path.read_text()))


def ami_release_parameter(kubernetes_version: str, ami_type: str, release_version: str) -> str | None:
    """The public SSM parameter that exists for exactly this EKS-optimized AMI release, if the
    family has one (AL2023 standard): `.../amazon-eks-node-al2023-<arch>-standard-<k8s>-v<date>/image_id`."""
    arch = {"AL2023_x86_64_STANDARD": "x86_64", "AL2023_ARM_64_STANDARD": "arm64"}.get(ami_type)
    if arch is None:
        return None
    date = release_version.rsplit("-", 1)[-1]
    return (f"/aws/service/eks/optimized-ami/{kubernetes_version}/amazon-linux-2023/{arch}/standard/"
            f"amazon-eks-node-al2023-{arch}-standard-{kubernetes_version}-v{date}/image_id")
