#!/usr/bin/env bash
# Prints the path of the PrometheusRule CustomResourceDefinition, from the prometheus-operator Go module
# (its example/prometheus-operator-crd), for the apply tier: the objectives charts render
# PrometheusRules, whose CRD kube-prometheus-stack installs, and that chart cannot be pulled offline.
# The module proxy serves v0.92.1 (an older v0.86.1 is refused: "404 Not Found" from the checksum
# database); monitoring.coreos.com/v1 PrometheusRule has kept its schema across these releases.
set -euo pipefail
PROMETHEUS_OPERATOR_VERSION=${PROMETHEUS_OPERATOR_VERSION:-v0.92.1}
dir=$(go mod download -json "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
echo "$dir/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml"
