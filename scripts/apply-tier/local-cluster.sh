#!/usr/bin/env bash
# A Kubernetes control plane on localhost for the apply tier (issue 10 §3): etcd, kube-apiserver and
# kube-controller-manager, as built by build-etcd.sh and build-apiserver.sh, in one directory.
#
#   local-cluster.sh start DIR   # certificates, keys, kubeconfig and logs in DIR; returns once it serves
#   local-cluster.sh stop DIR    # stops what start started (by the pids it wrote)
#
# DIR/kubeconfig is an admin kubeconfig (bearer token of a system:masters user); DIR/cluster.env holds
# KUBE_SERVER, KUBE_TOKEN and KUBE_CA for scripts. The API server runs the PodSecurity admission plugin
# (on by default, named here so it cannot silently go), RBAC, and service-account tokens signed with a
# key made here; the controller manager signs in with a client certificate as
# system:kube-controller-manager and uses a service account per controller, as kubeadm sets it up.
# There is no kubelet and no scheduler: pods are created (and so admitted or rejected), never run.
set -euo pipefail
cmd=${1:?usage: local-cluster.sh start|stop DIR}
dir=${2:?usage: local-cluster.sh start|stop DIR}
TOOLS="${MLOPS_TOOLS_HOME:-$HOME/.cache/cdktf-mlops/tools}/apply-tier"
K8S_BIN=${K8S_BIN:-$TOOLS/${K8S_VERSION:-v1.34.3}}
ETCD_BIN=${ETCD_BIN:-$TOOLS/etcd-${ETCD_VERSION:-v3.6.16}}

stop() {
  for p in kube-controller-manager kube-apiserver etcd; do
    [ -f "$dir/$p.pid" ] || continue
    pid=$(cat "$dir/$p.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$dir/$p.pid"
  done
}

if [ "$cmd" = stop ]; then stop; exit 0; fi
[ "$cmd" = start ] || { echo "unknown command $cmd" >&2; exit 2; }
for b in "$ETCD_BIN/etcd" "$K8S_BIN/kube-apiserver" "$K8S_BIN/kube-controller-manager"; do
  [ -x "$b" ] || { echo "missing $b: run scripts/apply-tier/build-etcd.sh and build-apiserver.sh" >&2; exit 3; }
done
mkdir -p "$dir"
cd "$dir"
ready=0
trap '[ "$ready" = 1 ] || stop' EXIT

# Three free loopback ports (etcd client, etcd peer, API server).
read -r etcd_port peer_port api_port < <(/usr/bin/python3 -c '
import socket
ss = [socket.socket() for _ in range(3)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')

# Self-signed CA, the API server's serving certificate, the controller manager's client certificate,
# and the service-account signing key pair.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=apply-tier-ca -keyout ca.key -out ca.crt 2>/dev/null
cert() { # name subject extensions
  openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$1.key" -out "$1.csr" 2>/dev/null
  printf '%s\n' "$3" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
}
cert apiserver /CN=kube-apiserver \
  "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc
extendedKeyUsage=serverAuth"
cert controller-manager /CN=system:kube-controller-manager "extendedKeyUsage=clientAuth"
openssl genrsa -out sa.key 2048 2>/dev/null
openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
token=$(openssl rand -hex 24)
echo "$token,apply-tier-admin,apply-tier-admin,system:masters" >tokens.csv
server="https://127.0.0.1:$api_port"

kubeconfig() { # file user-lines...
  local file=$1; shift
  {
    echo "apiVersion: v1"
    echo "kind: Config"
    echo "clusters: [{name: apply-tier, cluster: {server: '$server', certificate-authority: '$dir/ca.crt'}}]"
    echo "contexts: [{name: apply-tier, context: {cluster: apply-tier, user: user}}]"
    echo "current-context: apply-tier"
    echo "users: [{name: user, user: {$*}}]"
  } >"$file"
}
kubeconfig kubeconfig "token: '$token'"
kubeconfig controller-manager.kubeconfig "client-certificate: '$dir/controller-manager.crt', client-key: '$dir/controller-manager.key'"
printf 'KUBE_SERVER=%s\nKUBE_TOKEN=%s\nKUBE_CA=%s\n' "$server" "$token" "$dir/ca.crt" >cluster.env

setsid "$ETCD_BIN/etcd" --name apply-tier --data-dir "$dir/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-cluster "apply-tier=http://127.0.0.1:$peer_port" --unsafe-no-fsync \
  >etcd.log 2>&1 </dev/null &
echo $! >etcd.pid

# --endpoint-reconciler-type=none: the `kubernetes` Service's Endpoints may not hold a loopback address.
# The service range is only allocated from (ClusterIPs are written into Services), never routed: no
# proxy runs here.
setsid "$K8S_BIN/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$etcd_port" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
  --tls-cert-file apiserver.crt --tls-private-key-file apiserver.key --cert-dir "$dir/certs" \
  --client-ca-file ca.crt --token-auth-file tokens.csv \
  --authorization-mode RBAC --enable-admission-plugins PodSecurity --allow-privileged=false \
  --service-account-issuer https://kubernetes.default.svc --service-account-key-file sa.pub \
  --service-account-signing-key-file sa.key --service-cluster-ip-range 10.96.0.0/24 \
  --endpoint-reconciler-type none \
  >kube-apiserver.log 2>&1 </dev/null &
echo $! >kube-apiserver.pid

api() { curl -fsS --cacert ca.crt -H "Authorization: Bearer $token" "$server$1"; }
for i in $(seq 120); do
  api /readyz >/dev/null 2>&1 && break
  kill -0 "$(cat kube-apiserver.pid)" 2>/dev/null || { tail -20 kube-apiserver.log >&2; exit 1; }
  [ "$i" = 120 ] && { echo "kube-apiserver not ready after 120 s" >&2; tail -20 kube-apiserver.log >&2; exit 1; }
  sleep 1
done

# No kubelet posts node heartbeats here, so the node lifecycle controller would mark every node (and its
# pods) NotReady and evict them; it is the one controller left out.
setsid "$K8S_BIN/kube-controller-manager" --kubeconfig controller-manager.kubeconfig \
  --service-account-private-key-file sa.key --root-ca-file ca.crt --use-service-account-credentials \
  --controllers '*,-node-lifecycle-controller' --leader-elect=false --secure-port 0 \
  >kube-controller-manager.log 2>&1 </dev/null &
echo $! >kube-controller-manager.pid

# The service-account controller creating `default` in the default namespace shows the controllers run.
for i in $(seq 120); do
  api /api/v1/namespaces/default/serviceaccounts/default >/dev/null 2>&1 && break
  kill -0 "$(cat kube-controller-manager.pid)" 2>/dev/null || { tail -20 kube-controller-manager.log >&2; exit 1; }
  [ "$i" = 120 ] && { echo "kube-controller-manager not working after 120 s" >&2; tail -20 kube-controller-manager.log >&2; exit 1; }
  sleep 1
done
ready=1
echo "$dir/kubeconfig"
