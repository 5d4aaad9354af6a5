"""A readiness gate: `pulumi up` succeeds only once the cluster schedules and serves a pod.

A tiny HTTP Deployment pinned to the workshop's default node group, with readiness and liveness probes,
and a Service in front. pulumi-kubernetes waits for the Deployment's rollout and the Service's
endpoints, so a cluster whose nodes, CNI or scheduling are broken fails the `up` that created it
instead of the first workshop attendee.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.options import inherited_depends_on

PORT = 8080
# busybox's httpd serves the probe page; the image is the Docker official one through ECR Public.
DEFAULT_IMAGE = "public.ecr.aws/docker/library/busybox:1.37.0"


@dataclass(frozen=True)
class ReadinessGateArgs:
    """The probe workload; only the node selector comes from the stack (`eks-workshop:readinessGate`).

    Attributes:
        node_selector: the first node group's labels, so the probe lands on the workshop's default group.
        namespace: where the probe runs. Default: `eks-workshop-readiness`.
        image: a static web server. Default: busybox from ECR Public (DEFAULT_IMAGE), no Docker Hub limits.
        replicas: pods that must be ready. Default: 2, so two nodes must schedule and serve.
        labels: on the probe's pods and selected by its Service. Default: `app.kubernetes.io/name: readiness-gate`.
        timeout: how long pulumi-kubernetes waits for the rollout and the endpoints. Default: 15m.
    """

    node_selector: Mapping[str, str]
    namespace: str = "eks-workshop-readiness"
    image: str = DEFAULT_IMAGE
    replicas: int = 2
    labels: Mapping[str, str] = field(default_factory=lambda: {"app.kubernetes.io/name": "readiness-gate"})
    timeout: str = "15m"


class ReadinessGate(pulumi.ComponentResource):
    """The readiness gate (`eks-workshop:cluster:ReadinessGate`): a namespace, a probe Deployment with
    readiness and liveness probes on the selected nodes, and a Service; `pulumi up` waits for both."""

    def __init__(self, name: str, args: ReadinessGateArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("eks-workshop:cluster:ReadinessGate", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Pods need nodes (and what the component waits for); the namespace needs only the API.
        after_nodes = pulumi.ResourceOptions(parent=self, depends_on=inherited_depends_on(opts),
                                             custom_timeouts=pulumi.CustomTimeouts(create=args.timeout,
                                                                                   update=args.timeout))

        namespace = k8s.core.v1.Namespace(
            f"{name}-ns", metadata=k8s.meta.v1.ObjectMetaArgs(name=args.namespace), opts=child)
        probe = k8s.core.v1.ProbeArgs(
            http_get=k8s.core.v1.HTTPGetActionArgs(path="/", port=PORT),
            period_seconds=5, failure_threshold=3)
        deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="readiness-gate", namespace=namespace.metadata.name,
                                                labels=dict(args.labels)),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=args.replicas,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(args.labels)),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=dict(args.labels)),
                    spec=k8s.core.v1.PodSpecArgs(
                        node_selector=dict(args.node_selector),
                        automount_service_account_token=False,
                        security_context=k8s.core.v1.PodSecurityContextArgs(
                            run_as_non_root=True, run_as_user=65534, run_as_group=65534,
                            seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault")),
                        containers=[k8s.core.v1.ContainerArgs(
                            name="http",
                            image=args.image,
                            command=["sh", "-c", f"mkdir -p /tmp/www && echo ok > /tmp/www/index.html && "
                                                 f"exec httpd -f -p {PORT} -h /tmp/www"],
                            ports=[k8s.core.v1.ContainerPortArgs(container_port=PORT, name="http")],
                            readiness_probe=probe,
                            liveness_probe=probe,
                            resources=k8s.core.v1.ResourceRequirementsArgs(
                                requests={"cpu": "10m", "memory": "16Mi"},
                                limits={"memory": "32Mi"}),
                            security_context=k8s.core.v1.SecurityContextArgs(
                                allow_privilege_escalation=False, read_only_root_filesystem=True,
                                capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"])),
                            volume_mounts=[k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp")],
                        )],
                        volumes=[k8s.core.v1.VolumeArgs(name="tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs())],
                    ),
                ),
            ),
            opts=after_nodes,
        )
        service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="readiness-gate", namespace=namespace.metadata.name,
                                                labels=dict(args.labels)),
            spec=k8s.core.v1.ServiceSpecArgs(
                selector=dict(args.labels),
                ports=[k8s.core.v1.ServicePortArgs(port=80, target_port="http", name="http")],
            ),
            # Not after the Deployment: pulumi-kubernetes already waits for the Service's endpoints,
            # which exist only once the pods are ready, so both can be created at once.
            opts=after_nodes,
        )
        self.namespace = namespace.metadata.name
        self.register_outputs({"namespace": self.namespace, "deployment": deployment.metadata.name,
                               "service": service.metadata.name})
