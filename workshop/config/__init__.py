"""The stack configuration: one typed, validated view of `Pulumi.<stack>.yaml`.

Every key the program reads is declared once, with its default, the reason for it and its rule, and
nothing else parses `pulumi.Config`. One job per module:

- rules.py: rules on one value, as annotated types (CIDRs, names, versions, ranges) and the constants
  they name;
- model.py: the model (pydantic, strict, closed, camelCase on the wire), its rules across fields and
  its JSON Schema (docs/stack-config.schema.json);
- errors.py: pydantic's errors rendered as `<config key>: <bad value> <rule>`, all at once;
- resolve.py: version pins checked against the catalogue and `catalogue` filled in, into a
  ResolvedStackConfig, the only kind wiring builds components from;
- stack_warnings.py: what plans but deserves a warning;
- load.py: the entry points, `parse` (values in) and `from_pulumi` (the running stack's config).

The program, the tests and the docs read this package; components never do (they take their own
Args, built in wiring.py, with the value types below).
"""

from workshop.config.errors import ConfigError
from workshop.config.load import NAMESPACES, aws_config_keys, from_pulumi, parse
from workshop.config.model import (
    ClusterConfig,
    IdeConfig,
    NetworkConfig,
    NodeGroupConfig,
    StackConfig,
    Taint,
    VpcCniConfig,
    ide_role_name,
    stack_capacity,
)
from workshop.config.resolve import ResolvedNodeGroupConfig, ResolvedStackConfig, ResolvedVpcCniConfig
from workshop.config.rules import CATALOGUE, CONTROL_PLANE_LOG_TYPES, MANAGED_ADDONS, RFC1918, camel
from workshop.config.stack_warnings import config_warnings, version_warnings

__all__ = [
    "CATALOGUE", "CONTROL_PLANE_LOG_TYPES", "MANAGED_ADDONS", "NAMESPACES", "RFC1918", "ClusterConfig",
    "ConfigError", "IdeConfig", "NetworkConfig", "NodeGroupConfig", "ResolvedNodeGroupConfig",
    "ResolvedStackConfig", "ResolvedVpcCniConfig", "StackConfig", "Taint", "VpcCniConfig", "aws_config_keys",
    "camel", "config_warnings", "from_pulumi", "ide_role_name", "parse", "stack_capacity", "version_warnings",
]
