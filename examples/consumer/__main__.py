"""A team's workload on the EKS workshop cluster, found through the platform stack's outputs."""

import pulumi
import pulumi_kubernetes as k8s

config = pulumi.Config()
platform = pulumi.StackReference(config.require("platformStack"))
namespace_name = config.get("namespace") or "team-catalog"
replicas = config.get_int("replicas") or 2

# The kubeconfig is a secret output and stays one; it runs `aws eks get-token`, so this stack's
# deployer needs an EKS access entry on the cluster.
cluster = k8s.Provider("workshop-cluster", kubeconfig=platform.require_output("kubeconfig"),
                       enable_server_side_apply=True)
in_cluster = pulumi.ResourceOptions(provider=cluster)

namespace = k8s.core.v1.Namespace("namespace", metadata={"name": namespace_name}, opts=in_cluster)

labels = {"app.kubernetes.io/name": "catalog"}
deployment = k8s.apps.v1.Deployment(
    "catalog",
    metadata={"namespace": namespace.metadata.name, "labels": labels},
    spec={
        "replicas": replicas,
        "selector": {"matchLabels": labels},
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                # The platform's default node group carries this label (docs/outputs.md).
                "nodeSelector": {"workshop-default": "yes"},
                "containers": [{
                    "name": "catalog",
                    "image": "public.ecr.aws/aws-containers/retail-store-sample-catalog:1.2.1",
                    "ports": [{"name": "http", "containerPort": 8080}],
                    "readinessProbe": {"httpGet": {"path": "/health", "port": "http"}},
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                }],
            },
        },
    },
    opts=in_cluster,
)
service = k8s.core.v1.Service(
    "catalog",
    metadata={"namespace": namespace.metadata.name, "labels": labels},
    spec={"selector": labels, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
    opts=in_cluster,
)

pulumi.export("clusterName", platform.require_output("clusterName"))
# The on-premises team's side: the role its machines join the cluster with (an SSM activation for it), and
# with IAM Roles Anywhere the trust anchor and profile its nodeadm config names (absent on an SSM stack).
pulumi.export("hybridNodesRoleArn", platform.get_output("hybridNodesRoleArn"))
pulumi.export("hybridNodesTrustAnchorArn", platform.get_output("hybridNodesTrustAnchorArn"))
pulumi.export("hybridNodesProfileArn", platform.get_output("hybridNodesProfileArn"))
pulumi.export("namespace", namespace.metadata.name)
pulumi.export("service", service.metadata.name)
