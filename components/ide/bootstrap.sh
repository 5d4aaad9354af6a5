#!/bin/bash
# The workshop IDE's bootstrap, run once by cloud-init as root. Rendered by components/ide/ide.py,
# which puts the stack's values in the block below; everything else here is fixed.
#
# Progress: /var/log/cloud-init-output.log. Finished when /var/lib/eks-workshop-ide/ready exists and
# the console shows EKS-WORKSHOP-IDE-READY; a failure leaves /var/lib/eks-workshop-ide/failed and
# EKS-WORKSHOP-IDE-FAILED with the failing line.
set -euo pipefail

# @@VALUES@@

readonly STATE_DIR=/var/lib/eks-workshop-ide
readonly IDE_USER=ec2-user
readonly IDE_HOME=/home/ec2-user
readonly WORKSPACE="$IDE_HOME/environment"
readonly CODE_SERVER_PORT=8889

mkdir -p "$STATE_DIR"
rm -f "$STATE_DIR/ready" "$STATE_DIR/failed"

fail() {
  echo "EKS-WORKSHOP-IDE-FAILED: $*"
  echo "$*" > "$STATE_DIR/failed"
  exit 1
}
trap 'fail "line $LINENO: $BASH_COMMAND"' ERR

# Downloads and package mirrors have bad minutes; a bootstrap that gives up on the first is a
# weakness of the original.
retry() {
  local attempt=1
  until "$@"; do
    if [ "$attempt" -ge 5 ]; then
      return 1
    fi
    sleep $((attempt * 5))
    attempt=$((attempt + 1))
  done
}

as_user() {
  runuser -u "$IDE_USER" -- "$@"
}

case "$(uname -m)" in
  x86_64) ARCH=amd64 ;;
  aarch64) ARCH=arm64 ;;
  *) fail "unsupported architecture $(uname -m)" ;;
esac
readonly ARCH

echo "== packages"
retry dnf install -y -q git jq nginx tar gzip awscli-2

echo "== kubectl for Kubernetes $KUBERNETES_VERSION"
kubectl_release=$(retry curl -fsSL "https://dl.k8s.io/release/stable-${KUBERNETES_VERSION}.txt")
retry curl -fsSLo /usr/local/bin/kubectl "https://dl.k8s.io/release/${kubectl_release}/bin/linux/${ARCH}/kubectl"
chmod 755 /usr/local/bin/kubectl

echo "== helm $HELM_VERSION"
retry curl -fsSLo /tmp/helm.tar.gz "https://get.helm.sh/helm-v${HELM_VERSION}-linux-${ARCH}.tar.gz"
tar -xzf /tmp/helm.tar.gz -C /tmp "linux-${ARCH}/helm"
install -m 755 "/tmp/linux-${ARCH}/helm" /usr/local/bin/helm

echo "== eksctl $EKSCTL_VERSION"
retry curl -fsSLo /tmp/eksctl.tar.gz \
  "https://github.com/eksctl-io/eksctl/releases/download/v${EKSCTL_VERSION}/eksctl_Linux_${ARCH}.tar.gz"
tar -xzf /tmp/eksctl.tar.gz -C /usr/local/bin eksctl

echo "== code-server $CODE_SERVER_VERSION"
retry curl -fsSLo /tmp/code-server.rpm \
  "https://github.com/coder/code-server/releases/download/v${CODE_SERVER_VERSION}/code-server-${CODE_SERVER_VERSION}-${ARCH}.rpm"
retry dnf install -y -q /tmp/code-server.rpm

echo "== code-server password from Secrets Manager ($PASSWORD_SECRET_NAME)"
install -d -m 700 -o "$IDE_USER" -g "$IDE_USER" "$IDE_HOME/.config" "$IDE_HOME/.config/code-server"
password=$(retry aws secretsmanager get-secret-value --region "$REGION" --secret-id "$PASSWORD_SECRET_NAME" \
  --query SecretString --output text | jq -r .password)
[ -n "$password" ] || fail "the password secret is empty"
(
  umask 077
  # Written without tracing or echo: the password never reaches a log.
  printf 'bind-addr: 127.0.0.1:%s\nauth: password\npassword: "%s"\ncert: false\n' \
    "$CODE_SERVER_PORT" "$password" > "$IDE_HOME/.config/code-server/config.yaml"
)
unset password
chown "$IDE_USER:$IDE_USER" "$IDE_HOME/.config/code-server/config.yaml"
systemctl enable --now "code-server@${IDE_USER}"

echo "== reverse proxy on port 80, for our distribution only ($ORIGIN_SECRET_NAME)"
# CloudFront adds this header to every request to the origin; other distributions can reach port 80
# through the same prefix list but don't know its value, so they get 403.
origin_secret=$(retry aws secretsmanager get-secret-value --region "$REGION" --secret-id "$ORIGIN_SECRET_NAME" \
  --query SecretString --output text | jq -r .value)
[ -n "$origin_secret" ] || fail "the origin secret is empty"
install -d -m 700 /run/eks-workshop-ide
(
  umask 077
  printf 'X-Origin-Verify: %s\n' "$origin_secret" > /run/eks-workshop-ide/origin-header
)
umask 077
cat > /etc/nginx/nginx.conf <<NGINX
user nginx;
worker_processes auto;
error_log /var/log/nginx/error.log notice;
pid /run/nginx.pid;
events { worker_connections 1024; }
http {
    access_log /var/log/nginx/access.log;
    map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
    map \$http_x_origin_verify \$from_our_distribution { "${origin_secret}" 1; default 0; }
    server {
        listen 80 default_server;
        server_name _;
        if (\$from_our_distribution = 0) { return 403; }
        location / {
            proxy_pass http://127.0.0.1:${CODE_SERVER_PORT};
            proxy_http_version 1.1;
            proxy_set_header Host \$host;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$connection_upgrade;
            proxy_set_header Accept-Encoding gzip;
            proxy_read_timeout 3600s;
        }
    }
}
NGINX
umask 022
unset origin_secret
nginx -t
systemctl enable --now nginx

echo "== workshop content ${REPOSITORY_OWNER}/${REPOSITORY_NAME}@${REPOSITORY_REF}"
as_user mkdir -p "$WORKSPACE"
if [ ! -d "$WORKSPACE/$REPOSITORY_NAME/.git" ]; then
  retry as_user git clone --depth 1 --branch "$REPOSITORY_REF" \
    "https://github.com/${REPOSITORY_OWNER}/${REPOSITORY_NAME}.git" "$WORKSPACE/$REPOSITORY_NAME"
fi

echo "== kubeconfig for $CLUSTER_NAME"
retry as_user aws eks update-kubeconfig --region "$REGION" --name "$CLUSTER_NAME"

echo "== waiting for code-server behind the proxy"
healthy=no
for _ in $(seq 1 60); do
  if curl -fsS -o /dev/null -H @/run/eks-workshop-ide/origin-header http://127.0.0.1/healthz; then
    healthy=yes
    break
  fi
  sleep 5
done
[ "$healthy" = yes ] || fail "code-server did not answer on http://127.0.0.1/healthz within 5 minutes"

date -u +%Y-%m-%dT%H:%M:%SZ > "$STATE_DIR/ready"
echo "EKS-WORKSHOP-IDE-READY"
