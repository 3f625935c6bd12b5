{{/* A copy of the map .labels with every key of .keys set to .name. */}}
{{- define "disruption-budgets.named" -}}
{{- $out := deepCopy (.labels | default dict) -}}
{{- range $key := .keys }}{{- $_ := set $out $key $.name -}}{{- end -}}
{{- toYaml $out -}}
{{- end -}}
