#!/bin/bash
# The workshop IDE's bootstrap, run once by cloud-init as root. Rendered by components/ide/ide.py,
# which puts the stack's values in the block below; everything else here is fixed.
#
# Ours: code-server behind nginx (which answers only our CloudFront distribution), retries, and the
# ready/failed markers. The workshop's: everything that prepares the IDE for the labs, run from the
# workshop repository at REPOSITORY_REF, in the order and as the users its own IDE template runs
# them (WORKSHOP_SCRIPTS, from workshop/workshop_labs.json).
#
# Progress: /var/log/cloud-init-output.log. Finished when /var/lib/eks-workshop-ide/ready exists and
# the console shows EKS-WORKSHOP-IDE-READY; a failure leaves /var/lib/eks-workshop-ide/failed and
# EKS-WORKSHOP-IDE-FAILED with the failing line.
# -E: the ERR trap below holds inside functions too (as_user, retry), or a failure there would exit
# without the failed marker.
set -Eeuo pipefail

# @@VALUES@@

# Empty at boot. tests/test_ide_bootstrap.py runs this very script under a scratch directory with stub
# commands, and points every absolute path the script writes below it.
readonly ROOT="${EKS_WORKSHOP_IDE_TEST_ROOT:-}"
readonly STATE_DIR="$ROOT/var/lib/eks-workshop-ide"
readonly IDE_USER=ec2-user
readonly IDE_HOME="$ROOT/home/$IDE_USER"
readonly WORKSPACE="$IDE_HOME/environment"
# Where the labs expect the content (lab/bin/reset-environment lays it out the same way on every
# prepare-environment; done here too, so it is there at the first login).
readonly CONTENT="$ROOT/eks-workshop"
readonly CODE_SERVER_PORT=8889
readonly RAW="https://raw.githubusercontent.com/${REPOSITORY_OWNER}/${REPOSITORY_NAME}/${REPOSITORY_REF}"

mkdir -p "$STATE_DIR"
rm -f "$STATE_DIR/ready" "$STATE_DIR/failed"

fail() {
  echo "EKS-WORKSHOP-IDE-FAILED: $*"
  echo "$*" > "$STATE_DIR/failed"
  exit 1
}
step=""
trap 'fail "line $LINENO: $BASH_COMMAND${step:+ (workshop step: $step)}"' ERR

# Downloads and package mirrors have bad minutes; a bootstrap that gives up on the first is a
# weakness of the original.
retry() {
  local attempt=1
  until "$@"; do
    if [ "$attempt" -ge 5 ]; then
      return 1
    fi
    sleep $((attempt * RETRY_SECONDS))
    attempt=$((attempt + 1))
  done
}
readonly RETRY_SECONDS="${EKS_WORKSHOP_IDE_TEST_RETRY_SECONDS:-5}"

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
retry dnf install -y -q git jq nginx tar gzip

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
install -d -m 700 "$ROOT/run/eks-workshop-ide"
(
  umask 077
  printf 'X-Origin-Verify: %s\n' "$origin_secret" > "$ROOT/run/eks-workshop-ide/origin-header"
)
umask 077
mkdir -p "$ROOT/etc/nginx"
cat > "$ROOT/etc/nginx/nginx.conf" <<NGINX
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

echo "== the workshop's environment for ${REPOSITORY_OWNER}/${REPOSITORY_NAME}@${REPOSITORY_REF}"
# What the workshop's scripts read. The analytics values are empty, as in a self-paced workshop.
export AWS_REGION="$REGION" REPOSITORY_OWNER REPOSITORY_NAME REPOSITORY_REF RESOURCES_PRECREATED
export ENV="" WS="" BUILD="" ANALYTICS_ENDPOINT="" environment=""
imds_token=$(curl -fsS -X PUT "http://169.254.169.254/latest/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 300")
ide_address=$(curl -fsS -H "X-aws-ec2-metadata-token: $imds_token" http://169.254.169.254/latest/meta-data/public-ipv4)
export BASE_INBOUND_CIDRS="${INBOUND_CIDRS},${ide_address}/32"
as_user mkdir -p "$WORKSPACE"
scripts_dir="$STATE_DIR/workshop-scripts"
mkdir -p "$scripts_dir"

for step in "${WORKSHOP_SCRIPTS[@]}"; do
  read -r user how path <<< "$step"
  script="$scripts_dir/$(basename "$path")"
  echo "== $path ($how, as $user)"
  retry curl -fsSLo "$script" "$RAW/$path"
  chmod 755 "$script"
  case "$user:$how" in
    root:source)
      # The workshop's shell environment: it may read unset variables, and it names the clusters
      # after `environment`; this stack's names win.
      set +u
      # shellcheck disable=SC1090
      source "$script"
      set -u
      export EKS_CLUSTER_NAME="$CLUSTER_NAME" EKS_CLUSTER_AUTO_NAME="$CLUSTER_AUTO_NAME"
      ;;
    root:run)
      env -C /tmp bash "$script"
      ;;
    ide:run)
      # As the workshop's template does with sudo -E -H: the IDE user, its home, this environment.
      as_user env -C "$IDE_HOME" HOME="$IDE_HOME" USER="$IDE_USER" bash "$script"
      ;;
    *)
      fail "unknown workshop step '$step'"
      ;;
  esac
done
step=""

echo "== workshop content at $CONTENT/repository"
install -d -o "$IDE_USER" -g "$IDE_USER" "$CONTENT"
if [ ! -d "$CONTENT/repository/.git" ]; then
  retry as_user git clone --quiet --depth 1 --single-branch --branch "$REPOSITORY_REF" \
    "https://github.com/${REPOSITORY_OWNER}/${REPOSITORY_NAME}.git" "$CONTENT/repository"
fi
if [ ! -e "$WORKSPACE/eks-workshop" ]; then
  as_user cp -R "$CONTENT/repository/manifests" "$CONTENT/manifests"
  as_user ln -s "$CONTENT/manifests" "$WORKSPACE/eks-workshop"
fi

echo "== kubeconfig for $CLUSTER_NAME"
retry as_user aws eks update-kubeconfig --region "$REGION" --name "$CLUSTER_NAME"
# setup-ide.sh wrote code-server's settings and extensions.
systemctl restart "code-server@${IDE_USER}"

echo "== waiting for code-server behind the proxy"
healthy=no
for _ in $(seq 1 60); do
  if curl -fsS -o /dev/null -H "@$ROOT/run/eks-workshop-ide/origin-header" http://127.0.0.1/healthz; then
    healthy=yes
    break
  fi
  sleep "$RETRY_SECONDS"
done
[ "$healthy" = yes ] || fail "code-server did not answer on http://127.0.0.1/healthz within 5 minutes"

date -u +%Y-%m-%dT%H:%M:%SZ > "$STATE_DIR/ready"
echo "EKS-WORKSHOP-IDE-READY"
